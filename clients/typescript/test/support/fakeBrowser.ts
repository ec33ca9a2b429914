/**
 * Just enough of a browser's `document` for a dashboard client to load a remote entry with a
 * <script>: appending the element fetches its `src` over HTTP, applies Subresource Integrity as a
 * browser does, runs the served bytes in this global scope, then fires `load` or `error`.
 *
 * SRI as https://w3c.github.io/webappsec-subresource-integrity/ has it: metadata that does not
 * parse (an unknown algorithm, no digest) is ignored and the script runs unchecked; a cross-origin
 * script with integrity needs a CORS request (`crossorigin`), else its response is opaque and it is
 * refused; otherwise the digest of the bytes received must match a hash of the strongest algorithm
 * listed. A CORS request needs `Access-Control-Allow-Origin` on the answer. The page's origin is
 * never the remote entry's, as for a dashboard loading plugins deployed elsewhere.
 */
import { createHash } from "node:crypto";
import { runInThisContext } from "node:vm";

export interface ScriptLoad {
  src: string;
  integrity: string | null;
  crossorigin: string | null;
  /** "ran", or why the fake browser refused it. */
  outcome: string;
}

class FakeScript {
  src = "";
  type = "";
  async = false;
  onload: (() => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  removed = false;
  readonly attributes = new Map<string, string>();

  setAttribute(name: string, value: string): void {
    this.attributes.set(name.toLowerCase(), value);
  }

  getAttribute(name: string): string | null {
    return this.attributes.get(name.toLowerCase()) ?? null;
  }

  remove(): void {
    this.removed = true;
  }
}

export interface FakeBrowser {
  /** Every script the page appended, in order, with what became of it. */
  readonly loads: ScriptLoad[];
  /** Resolves once every appended script has fired load or error. */
  settled(): Promise<void>;
  uninstall(): void;
}

const SRI_TOKEN = /^(sha256|sha384|sha512)-([A-Za-z0-9+/]+={0,2})$/;

/** The integrity check of a browser: undefined when the script may run, else why not. */
export function sriRefusal(bytes: Buffer, integrity: string, crossorigin: string | null) {
  const hashes = integrity
    .split(/\s+/)
    .map((token) => SRI_TOKEN.exec(token.replace(/\?.*$/, "")))
    .filter((match): match is RegExpExecArray => match !== null);
  if (hashes.length === 0) return undefined; // nothing parseable: no check at all
  if (crossorigin === null) return "refused: integrity on a no-cors request (opaque response)";
  // Only the strongest algorithm listed counts.
  const strongest = hashes
    .map(([, algorithm]) => algorithm as string)
    .sort()
    .at(-1) as string;
  const matches = hashes.some(
    ([, algorithm, digest]) =>
      algorithm === strongest && createHash(strongest).update(bytes).digest("base64") === digest,
  );
  return matches ? undefined : "refused: integrity mismatch";
}

export function installFakeBrowser(): FakeBrowser {
  const loads: ScriptLoad[] = [];
  const pending: Promise<void>[] = [];
  const global = globalThis as Record<string, unknown>;
  const document = {
    createElement(tag: string): FakeScript {
      if (tag !== "script") throw new Error(`the fake document makes only scripts, not ${tag}`);
      return new FakeScript();
    },
    head: {
      appendChild(script: FakeScript): FakeScript {
        pending.push(run(script, loads));
        return script;
      },
    },
  };
  global.document = document;
  global.window = globalThis;
  return {
    loads,
    async settled() {
      await Promise.all(pending);
    },
    uninstall() {
      delete global.document;
      delete global.window;
    },
  };
}

async function run(script: FakeScript, loads: ScriptLoad[]): Promise<void> {
  const load: ScriptLoad = {
    src: script.src,
    integrity: script.getAttribute("integrity"),
    crossorigin: script.getAttribute("crossorigin"),
    outcome: "",
  };
  loads.push(load);
  await Promise.resolve(); // like a browser, fire events only after appendChild returned
  const response = await fetch(script.src).catch(() => undefined);
  if (response === undefined || !response.ok) {
    load.outcome = `refused: ${response === undefined ? "network error" : response.status}`;
    script.onerror?.({ type: "error" });
    return;
  }
  // A CORS request (the crossorigin attribute) needs the server's consent.
  if (load.crossorigin !== null && response.headers.get("access-control-allow-origin") !== "*") {
    load.outcome = "refused: CORS (no Access-Control-Allow-Origin)";
    script.onerror?.({ type: "error" });
    return;
  }
  const bytes = Buffer.from(await response.arrayBuffer());
  const refusal =
    load.integrity === null ? undefined : sriRefusal(bytes, load.integrity, load.crossorigin);
  if (refusal !== undefined) {
    load.outcome = refusal;
    script.onerror?.({ type: "error" });
    return;
  }
  runInThisContext(bytes.toString("utf8"), { filename: script.src });
  load.outcome = "ran";
  script.onload?.();
}
