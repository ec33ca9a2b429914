/**
 * A Next.js App Router route handler (`app/api/plugin-registry/route.ts`) that serves a PRIVATE
 * plugin registry to the dashboard's browser without giving it the token.
 *
 * Raw-file URLs of a private repository need a token, and a token in a browser is a token for
 * everyone who opens the page. So the dashboard's server reads the files through the GitHub REST
 * Contents API (the token only in its Authorization header), and the browser reads them here:
 *
 *   GET /api/plugin-registry                                   registry.json, its manifestUrls
 *                                                              pointed back at this route
 *   GET /api/plugin-registry?file=plugins/<id>.json[&ref=<sha>] a manifest, at a commit if named
 *
 * In the browser: `fetchAvailablePlugins({ registryUrl: "/api/plugin-registry" })`.
 *
 * Every file is read with `If-None-Match` and the ETag GitHub gave last time: an unchanged file
 * answers 304, which GitHub does not count against the rate limit, and is served from memory.
 * Only `registry.json` and `plugins/<id>.json` are served, never another path of the repository.
 * Put the dashboard's own sign-in check at the top of GET if the registry is not for everyone.
 *
 * Environment (server side only, never NEXT_PUBLIC_):
 *   PLUGIN_REGISTRY_REPOSITORY  owner/name of the registry repository
 *   PLUGIN_REGISTRY_TOKEN       a token that can read it (a GitHub App token with contents: read)
 *   PLUGIN_REGISTRY_BRANCH      the branch to read (default: main)
 *   GITHUB_API_URL              the API's URL (default: https://api.github.com; on GitHub
 *                               Enterprise Server https://HOSTNAME/api/v3)
 */

export const dynamic = "force-dynamic";

const SERVED_FILE = /^(?:registry\.json|plugins\/[A-Za-z0-9][A-Za-z0-9._-]{0,99}\.json)$/;
const COMMIT = /^[0-9a-f]{40}$/;
const REPOSITORY = /^[A-Za-z0-9-]+\/[A-Za-z0-9._-]+$/;

interface Config {
  repository: string;
  token: string;
  branch: string;
  apiUrl: string;
}

/** What GitHub last answered for a file, kept to revalidate it with its ETag. */
const lastRead = new Map<string, { etag: string; body: string }>();

export async function GET(request: Request): Promise<Response> {
  const config = readConfig();
  if (typeof config === "string") return text(500, config);
  const url = new URL(request.url);
  const file = url.searchParams.get("file") ?? "registry.json";
  const ref = url.searchParams.get("ref") ?? config.branch;
  if (!SERVED_FILE.test(file) || file.includes("..")) return text(404, "not a registry file");
  if (ref !== config.branch && !COMMIT.test(ref)) return text(400, "ref must name a commit");
  const read = await readFromGitHub(config, file, ref);
  if (read.status === 404) return text(404, `${file} is not in the registry`);
  if (read.body === undefined) {
    return text(
      502,
      `the plugin registry could not be read: GitHub answered ${read.status} for ${file}`,
    );
  }
  let body = read.body;
  if (file === "registry.json") {
    try {
      body = pointManifestsHere(body, config.repository, `${url.origin}${url.pathname}`);
    } catch {
      return text(502, "registry.json in the registry is not valid JSON");
    }
  }
  // A file read at a commit never changes; the branch's files are revalidated on every read.
  const cache = COMMIT.test(ref) ? "private, max-age=31536000, immutable" : "private, no-cache";
  return new Response(body, {
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": cache },
  });
}

function readConfig(): Config | string {
  const repository = process.env.PLUGIN_REGISTRY_REPOSITORY ?? "";
  const token = process.env.PLUGIN_REGISTRY_TOKEN ?? "";
  if (!REPOSITORY.test(repository) || token === "") {
    return (
      "the plugin registry route is not configured: " +
      "set PLUGIN_REGISTRY_REPOSITORY (owner/name) and PLUGIN_REGISTRY_TOKEN"
    );
  }
  const branch = process.env.PLUGIN_REGISTRY_BRANCH || "main";
  const apiUrl = (process.env.GITHUB_API_URL || "https://api.github.com").replace(/\/+$/, "");
  return { repository, token, branch, apiUrl };
}

/** GET /repos/{owner}/{repo}/contents/{path}?ref= with the raw media type, revalidated by ETag. */
async function readFromGitHub(
  config: Config,
  file: string,
  ref: string,
): Promise<{ status: number; body?: string }> {
  const query = `?ref=${encodeURIComponent(ref)}`;
  const endpoint = `${config.apiUrl}/repos/${config.repository}/contents/${file}${query}`;
  const known = lastRead.get(endpoint);
  const headers: Record<string, string> = {
    authorization: `Bearer ${config.token}`,
    accept: "application/vnd.github.raw+json",
    "x-github-api-version": "2022-11-28",
    "user-agent": "plugin-registry-route",
  };
  if (known !== undefined) headers["if-none-match"] = known.etag;
  // no-store: Next.js must not keep its own copy; the ETag above is the cache.
  const response = await fetch(endpoint, { headers, cache: "no-store" });
  if (response.status === 304 && known !== undefined) return { status: 200, body: known.body };
  if (!response.ok) return { status: response.status };
  const body = await response.text();
  const etag = response.headers.get("etag");
  if (etag !== null) lastRead.set(endpoint, { etag, body });
  return { status: 200, body };
}

/**
 * Point each manifestUrl that names a file of the registry repository at this route, keeping the
 * commit it names, if any: raw.githubusercontent.com/{owner}/{repo}/{ref}/plugins/{id}.json, and
 * on GitHub Enterprise Server raw.HOSTNAME/{owner}/{repo}/... or HOSTNAME/raw/{owner}/{repo}/...
 */
function pointManifestsHere(registryJson: string, repository: string, route: string): string {
  const registry = JSON.parse(registryJson) as { plugins?: unknown };
  if (!Array.isArray(registry.plugins)) return registryJson;
  for (const entry of registry.plugins as { manifestUrl?: unknown }[]) {
    if (typeof entry?.manifestUrl !== "string") continue;
    const here = routeFor(entry.manifestUrl, repository.toLowerCase(), route);
    if (here !== undefined) entry.manifestUrl = here;
  }
  return `${JSON.stringify(registry, null, 2)}\n`;
}

function routeFor(manifestUrl: string, repository: string, route: string): string | undefined {
  let path: string[];
  try {
    path = new URL(manifestUrl).pathname.split("/");
  } catch {
    return undefined;
  }
  const [owner, name, ref, folder, fileName] = path.slice(-5);
  if (`${owner}/${name}`.toLowerCase() !== repository || folder !== "plugins") return undefined;
  if (ref === undefined || fileName === undefined) return undefined;
  const target = new URL(route);
  target.searchParams.set("file", `plugins/${fileName}`);
  if (COMMIT.test(ref)) target.searchParams.set("ref", ref);
  return target.href;
}

function text(status: number, message: string): Response {
  return new Response(`${message}\n`, {
    status,
    headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" },
  });
}
