/**
 * A tiny GitHub REST Contents API for one PRIVATE repository, served from a git folder, for the
 * route handler example to read:
 *
 * - GET /repos/{owner}/{repo}/contents/{path}?ref= answers the file at that branch or commit
 *   (default: main); with `Accept: application/vnd.github.raw+json` the bytes themselves, else
 *   the JSON object with base64 content.
 *   https://docs.github.com/en/rest/repos/contents#get-repository-content
 * - A private repository is 404 to a request without a token that reaches it, and a token GitHub
 *   does not know is 401 "Bad credentials".
 *   https://docs.github.com/en/rest/using-the-rest-api/troubleshooting-the-rest-api
 * - Every answer carries an ETag; `If-None-Match` with it answers 304 with no body, which "does
 *   not count against your primary rate limit" when the request is authorised.
 *   https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api#use-conditional-requests-if-appropriate
 */
import { execFileSync } from "node:child_process";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

export interface ApiRequest {
  url: string;
  headers: IncomingHttpHeaders;
  status: number;
}

export class FakeContentsApi {
  readonly requests: ApiRequest[] = [];
  /** Requests charged to the token's primary rate limit. */
  charged = 0;

  private constructor(
    readonly url: string,
    private readonly stop: () => Promise<void>,
  ) {}

  static async create(dir: string, repository: string, token: string): Promise<FakeContentsApi> {
    let api: FakeContentsApi | undefined;
    const server = createServer((request, response) => {
      const url = request.url ?? "/";
      const answer = serve(dir, repository, token, url, request.headers);
      const fake = api as FakeContentsApi;
      fake.requests.push({ url, headers: request.headers, status: answer.status });
      if (answer.status !== 304 && request.headers.authorization !== undefined) fake.charged += 1;
      response.writeHead(answer.status, answer.headers);
      response.end(answer.status === 304 ? undefined : answer.body);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const stop = () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    };
    api = new FakeContentsApi(`http://127.0.0.1:${port}`, stop);
    return api;
  }

  close(): Promise<void> {
    return this.stop();
  }
}

interface Answer {
  status: number;
  body: string;
  headers: Record<string, string>;
}

function serve(
  dir: string,
  repository: string,
  token: string,
  url: string,
  headers: IncomingHttpHeaders,
): Answer {
  const auth = headers.authorization;
  if (auth !== undefined && auth !== `Bearer ${token}` && auth !== `token ${token}`) {
    return json(401, { message: "Bad credentials" });
  }
  const { pathname, searchParams } = new URL(url, "http://api.invalid");
  const prefix = `/repos/${repository}/contents/`;
  if (auth === undefined || !pathname.startsWith(prefix))
    return json(404, { message: "Not Found" });
  const path = decodeURIComponent(pathname.slice(prefix.length));
  const ref = searchParams.get("ref") || "main";
  const blob = gitOutput(dir, "rev-parse", `${ref}:${path}`)?.trim();
  const content = blob === undefined ? undefined : gitOutput(dir, "cat-file", "blob", blob);
  if (blob === undefined || content === undefined) return json(404, { message: "Not Found" });
  const etag = `"${blob}"`;
  if (headers["if-none-match"] === etag) return { status: 304, body: "", headers: { etag } };
  if (headers.accept === "application/vnd.github.raw+json") {
    return {
      status: 200,
      body: content,
      headers: { etag, "content-type": "application/vnd.github.raw+json; charset=utf-8" },
    };
  }
  const object = {
    type: "file",
    encoding: "base64",
    path,
    sha: blob,
    content: Buffer.from(content).toString("base64"),
  };
  return { ...json(200, object), headers: { ...json(200, object).headers, etag } };
}

function json(status: number, value: unknown): Answer {
  return {
    status,
    body: JSON.stringify(value),
    headers: { "content-type": "application/json; charset=utf-8" },
  };
}

function gitOutput(dir: string, ...args: string[]): string | undefined {
  try {
    return execFileSync("git", ["-C", dir, ...args], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    });
  } catch {
    return undefined;
  }
}
