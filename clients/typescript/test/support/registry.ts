/**
 * Registries written by registry-action itself: a temporary folder (a git repository, so commit
 * URLs name real commits) filled by the project's CLI, served on 127.0.0.1 the way
 * raw.githubusercontent.com serves a repository, next to the plugins' remote entries.
 *
 *   /registry.json, /plugins/<id>.json    the files as the branch has them now
 *   /main/<path>                          the same, under the branch's name, as raw URLs have it
 *   /<commit sha>/<path>                  the file as that commit wrote it
 *   /ui/<id>/remoteEntry.js               a plugin's deployed remote entry
 */
import { execFile, execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const packageRoot = fileURLToPath(new URL("../../../", import.meta.url));

/** The project's console script: .ci/run exports VENV; else the checkout's .venv. */
export const CLI = join(
  process.env.VENV ?? join(packageRoot, "..", "..", ".venv"),
  "bin",
  "registry-action",
);

export const REPOSITORY = "org/plugin-registry";
const COMMIT_PATH = /^\/([0-9a-f]{40})\/(.+)$/;

export interface Served {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

export interface SeenRequest {
  url: string;
  headers: IncomingHttpHeaders;
}

export class TestRegistry {
  /** What the server answers instead of the file, by path. */
  readonly overrides = new Map<string, Served>();
  /** The bytes of each plugin's deployed remote entry, by id. */
  readonly remoteEntries = new Map<string, string>();
  /** Plugins whose remote-entry host sends no Access-Control-Allow-Origin. */
  readonly withoutCors = new Set<string>();
  readonly requests: SeenRequest[] = [];

  private constructor(
    readonly dir: string,
    readonly baseUrl: string,
    private readonly stop: () => Promise<void>,
  ) {}

  static async create(): Promise<TestRegistry> {
    if (!existsSync(CLI)) {
      throw new Error(`registry-action not found at ${CLI}: install the project or set VENV`);
    }
    const dir = mkdtempSync(join(tmpdir(), "registry-"));
    git(dir, "init", "-q", "-b", "main");
    // Who commits, for the CLI too: with manifest-urls commit its every write is a commit.
    git(dir, "config", "user.name", "test");
    git(dir, "config", "user.email", "test@example.invalid");
    let registry: TestRegistry | undefined;
    const server = createServer((request, response) => {
      const served = (registry as TestRegistry).answer(request.url ?? "/", request.headers);
      response.writeHead(served.status, served.headers ?? {});
      response.end(served.body);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const stop = () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    };
    registry = new TestRegistry(dir, `http://127.0.0.1:${port}`, stop);
    return registry;
  }

  get registryUrl(): string {
    return `${this.baseUrl}/registry.json`;
  }

  /** The branch's raw-file URL, ending with its name as raw.githubusercontent.com's do. */
  get branchUrl(): string {
    return `${this.baseUrl}/main`;
  }

  remoteEntryUrl(id: string): string {
    return `${this.baseUrl}/ui/${id}/remoteEntry.js`;
  }

  /** `registry-action register` into the folder, the plugin's remote entry deployed first. */
  register(id: string, version: string, ...extra: string[]): void {
    const args = this.registration(id, version, extra);
    try {
      execFileSync(CLI, args, { env: { PATH: process.env.PATH ?? "" }, stdio: "pipe" });
    } catch (error) {
      const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? "";
      throw new Error(`registry-action ${args.join(" ")} failed: ${stderr}`);
    }
  }

  /**
   * `register` while this process goes on serving: for `--integrity`, where the CLI fetches the
   * remote entry from this server.
   */
  async registerServed(id: string, version: string, ...extra: string[]): Promise<void> {
    const args = this.registration(id, version, extra);
    try {
      await promisify(execFile)(CLI, args, { env: { PATH: process.env.PATH ?? "" } });
    } catch (error) {
      const stderr = String((error as { stderr?: string }).stderr ?? "");
      throw new Error(`registry-action ${args.join(" ")} failed: ${stderr}`);
    }
  }

  private registration(id: string, version: string, extra: string[]): string[] {
    if (!this.remoteEntries.has(id)) this.remoteEntries.set(id, remoteEntrySource(id, version));
    const base = extra.includes("--manifest-base-url") ? [] : ["--manifest-base-url", this.baseUrl];
    const args = ["register", "--registry-dir", this.dir, "--registry-repository", REPOSITORY];
    args.push("--plugin-id", id, "--version", version, ...base);
    return [...args, "--ui-remote-entry", this.remoteEntryUrl(id), ...extra];
  }

  /** The commit the folder's branch is at. */
  head(): string {
    return git(this.dir, "rev-parse", "HEAD").trim();
  }

  /** A file as `commit` wrote it. */
  readAt(commit: string, path: string): string {
    return git(this.dir, "show", `${commit}:${path}`);
  }

  /** Commit the folder as it is; returns the commit's sha. */
  commit(message: string): string {
    git(this.dir, "add", "-A");
    git(
      this.dir,
      "-c",
      "user.name=test",
      "-c",
      "user.email=test@example.invalid",
      "commit",
      "-q",
      "-m",
      message,
    );
    return git(this.dir, "rev-parse", "HEAD").trim();
  }

  read(path: string): string {
    return readFileSync(join(this.dir, path), "utf8");
  }

  readJson(path: string): Record<string, any> {
    return JSON.parse(this.read(path)) as Record<string, any>;
  }

  /** Write a file as registry-action does: 2-space indent, trailing newline. */
  writeJson(path: string, value: unknown): void {
    writeFileSync(join(this.dir, path), `${JSON.stringify(value, null, 2)}\n`);
  }

  /** Write a `ui.integrity` into the plugin's manifest by hand: values the CLI never writes. */
  recordIntegrity(id: string, integrity = sri(this.remoteEntries.get(id) ?? "")): string {
    const manifest = this.readJson(`plugins/${id}.json`);
    manifest.ui = { ...manifest.ui, integrity };
    this.writeJson(`plugins/${id}.json`, manifest);
    return integrity;
  }

  close(): Promise<void> {
    rmSync(this.dir, { recursive: true, force: true });
    return this.stop();
  }

  private answer(url: string, headers: IncomingHttpHeaders): Served {
    this.requests.push({ url, headers });
    const path = url.split("?")[0] as string;
    const override = this.overrides.get(path);
    if (override !== undefined) return override;
    const entry = /^\/ui\/([^/]+)\/remoteEntry\.js$/.exec(path);
    if (entry !== null) return this.remoteEntry(entry[1] as string);
    const atCommit = COMMIT_PATH.exec(path);
    const text = atCommit
      ? gitShow(this.dir, atCommit[1] as string, atCommit[2] as string)
      : this.file(path.replace(/^\/main\//, "/"));
    if (text === undefined) return { status: 404, body: "404: Not Found" };
    // raw.githubusercontent.com's headers for a file
    const raw = { "content-type": "text/plain; charset=utf-8", "cache-control": "max-age=300" };
    return { status: 200, body: text, headers: { ...raw, "access-control-allow-origin": "*" } };
  }

  private remoteEntry(id: string): Served {
    const source = this.remoteEntries.get(id);
    if (source === undefined) return { status: 404, body: "Not Found" };
    const headers: Record<string, string> = { "content-type": "application/javascript" };
    if (!this.withoutCors.has(id)) headers["access-control-allow-origin"] = "*";
    return { status: 200, body: source, headers };
  }

  private file(path: string): string | undefined {
    const relative = normalize(decodeURIComponent(path)).replace(/^\/+/, "");
    if (relative.startsWith("..") || relative.startsWith(".git")) return undefined;
    const full = join(this.dir, relative);
    return existsSync(full) ? readFileSync(full, "utf8") : undefined;
  }
}

/** A Module Federation container as webpack's `var` library would define it, for one build. */
export function remoteEntrySource(id: string, build: string): string {
  const name = id.replace(/[^A-Za-z0-9]/g, "");
  return `globalThis[${JSON.stringify(name)}] = {
  init(shareScope) { (globalThis.__containerInits ??= []).push([${JSON.stringify(name)}, shareScope]); },
  get(module) {
    if (module !== "PluginApp") return Promise.reject(new Error("no module " + module));
    return Promise.resolve(() => ({ id: ${JSON.stringify(id)}, build: ${JSON.stringify(build)} }));
  },
};
`;
}

/** The SRI hash of some bytes, `sha384-<base64>`. */
export function sri(bytes: string | Buffer): string {
  return `sha384-${createHash("sha384").update(bytes).digest("base64")}`;
}

function git(dir: string, ...args: string[]): string {
  return execFileSync("git", ["-C", dir, ...args], { encoding: "utf8" });
}

function gitShow(dir: string, commit: string, path: string): string | undefined {
  try {
    return execFileSync("git", ["-C", dir, "show", `${commit}:${path}`], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    });
  } catch {
    return undefined;
  }
}
