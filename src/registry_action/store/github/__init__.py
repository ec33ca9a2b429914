"""A registry in a GitHub repository: the only package that imports PyGithub."""
