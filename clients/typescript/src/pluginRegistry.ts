/**
 * The dashboard's plugin registry client: reads the `registry.json` and `plugins/<id>.json` that
 * registry-action writes, and loads each plugin's Module Federation remote entry.
 *
 * A drop-in replacement for a Next.js dashboard's `lib/pluginRegistry.ts`:
 * `fetchAvailablePlugins()` and `loadPlugin()` keep their meaning. Beyond them: a remote entry is
 * loaded with `integrity` and `crossorigin="anonymous"` when its manifest records `ui.integrity`;
 * a manifest whose `id` or `version` disagrees with its index entry is skipped; every skipped
 * plugin comes with a one-line reason and never hides the others. No dependencies: copy this one
 * file. How fresh the view is, private registries and integrity: docs/dashboards.md.
 */

/** An entry of `registry.json`'s `plugins` list. */
export interface PluginRegistryEntry {
  id: string;
  name: string;
  version: string;
  /** A branch URL, or one naming the commit that wrote the manifest (never stale). */
  manifestUrl: string;
}

/** `plugins/<id>.json`, as registry-action writes it. */
export interface PluginManifest {
  id: string;
  name: string;
  version: string;
  description?: string;
  ui: {
    remoteEntry: string;
    expose: string;
    /** `sha384-<base64>`: the SRI hash of the remote entry as registered. */
    integrity?: string;
  };
  server?: { routeBase: string; deploymentUrl: string; healthCheck?: string };
  manifestUrl: string;
  lastUpdated: string;
}

/** A plugin left out, and why, in one line. */
export interface SkippedPlugin {
  id: string;
  reason: string;
}

export interface AvailablePlugins {
  plugins: PluginManifest[];
  skipped: SkippedPlugin[];
}

export interface LoadedPlugin<T> {
  manifest: PluginManifest;
  module: T;
}

export interface LoadedPlugins<T> {
  loaded: LoadedPlugin<T>[];
  skipped: SkippedPlugin[];
}

export type FetchFunction = (url: string, init?: RequestInit) => Promise<Response>;

export interface RegistryClientOptions {
  /** URL of `registry.json`; default: `NEXT_PUBLIC_PLUGIN_REGISTRY_URL`. */
  registryUrl?: string;
  /** The fetch to use (default: the global one), e.g. one that adds headers or goes elsewhere. */
  fetch?: FetchFunction;
  /** Given to every fetch of `registry.json` and the manifests: headers, `cache`, `credentials`. */
  requestInit?: RequestInit;
  /** Told of each skipped plugin; default: `console.warn`. */
  onSkip?: (skipped: SkippedPlugin) => void;
}

export interface LoadOptions {
  /** Passed to the container's `init`; default: webpack's `default` share scope, else `{}`. */
  shareScope?: unknown;
}

/** The index itself could not be read: nothing can be listed. */
export class PluginRegistryError extends Error {
  override name = "PluginRegistryError";
}

/** One plugin could not be loaded; `reason` is the line reported for it. */
export class PluginLoadError extends Error {
  override name = "PluginLoadError";
  constructor(
    readonly pluginId: string,
    readonly reason: string,
  ) {
    super(`${pluginId}: ${reason}`);
  }
}

/** The Module Federation container name the dashboard derives from an id, case kept. */
export function containerName(pluginId: string): string {
  return pluginId.replace(/[^A-Za-z0-9]/g, "");
}

/** Read the index and every manifest; each one that cannot be used is skipped with a reason. */
export async function fetchPluginRegistry(
  options: RegistryClientOptions = {},
): Promise<AvailablePlugins> {
  const registryUrl = resolveRegistryUrl(options.registryUrl);
  const doFetch = options.fetch ?? ((url, init) => globalThis.fetch(url, init));
  const index = await readJson(doFetch, registryUrl, options.requestInit).catch(
    (error: unknown) => {
      throw new PluginRegistryError(`registry ${registryUrl} ${describe(error)}`);
    },
  );
  const listed = listEntries(index, registryUrl);
  const skipped = [...listed.skipped];
  const read = await Promise.all(
    listed.entries.map((entry) => readManifest(doFetch, entry, options.requestInit)),
  );
  const plugins: PluginManifest[] = [];
  for (const result of read) {
    if ("manifest" in result) plugins.push(result.manifest);
    else skipped.push(result);
  }
  const report = options.onSkip ?? warn;
  for (const each of skipped) report(each);
  return { plugins, skipped };
}

/** The manifests of every plugin that can be used (skipped ones go to `onSkip`). */
export async function fetchAvailablePlugins(
  options: RegistryClientOptions = {},
): Promise<PluginManifest[]> {
  return (await fetchPluginRegistry(options)).plugins;
}

/** Load a plugin's remote entry and return its exposed module; throws a `PluginLoadError`. */
export async function loadPlugin<T = unknown>(
  manifest: PluginManifest,
  options: LoadOptions = {},
): Promise<T> {
  const { id, ui } = manifest;
  if (typeof document === "undefined") {
    throw new PluginLoadError(id, "plugins load in a browser: there is no document here");
  }
  await loadRemoteEntry(id, ui.remoteEntry, ui.integrity);
  const name = containerName(id);
  const container = (globalThis as Record<string, unknown>)[name];
  if (!isContainer(container)) {
    throw new PluginLoadError(id, `remote entry ${ui.remoteEntry} defined no container ${name}`);
  }
  await initContainer(id, name, container, options);
  const module = ui.expose.replace(/^\.\//, "");
  const factory = await attempt(id, `container ${name} has no module ${module}`, () =>
    container.get(module),
  );
  return attempt(id, `module ${module} of ${name} failed`, async () => (await factory()) as T);
}

/** Read the registry and load every plugin; a plugin that fails is skipped, the rest load. */
export async function loadAvailablePlugins<T = unknown>(
  options: RegistryClientOptions & LoadOptions = {},
): Promise<LoadedPlugins<T>> {
  const available = await fetchPluginRegistry(options);
  const settled = await Promise.allSettled(
    available.plugins.map((manifest) => loadPlugin<T>(manifest, options)),
  );
  const loaded: LoadedPlugin<T>[] = [];
  const skipped: SkippedPlugin[] = [];
  settled.forEach((outcome, i) => {
    const manifest = available.plugins[i] as PluginManifest;
    if (outcome.status === "fulfilled") loaded.push({ manifest, module: outcome.value });
    else skipped.push(skippedFor(manifest.id, outcome.reason));
  });
  const report = options.onSkip ?? warn;
  for (const each of skipped) report(each);
  return { loaded, skipped: [...available.skipped, ...skipped] };
}

// ---- the index and the manifests

type Entry = PluginRegistryEntry & { url: string };
type ManifestResult = { manifest: PluginManifest } | SkippedPlugin;

declare const process: { env: Record<string, string | undefined> };

function resolveRegistryUrl(given: string | undefined): string {
  let url = given;
  try {
    // Next.js writes the value in at build time; elsewhere `process` may not exist.
    url ??= process.env.NEXT_PUBLIC_PLUGIN_REGISTRY_URL;
  } catch {
    // no process: the option is the only source
  }
  if (!url) {
    throw new PluginRegistryError(
      "no registry URL: pass registryUrl or set NEXT_PUBLIC_PLUGIN_REGISTRY_URL",
    );
  }
  return absolute(url, globalThis.location?.href);
}

async function readJson(doFetch: FetchFunction, url: string, init?: RequestInit): Promise<unknown> {
  let response: Response;
  try {
    response = await doFetch(url, init);
  } catch (error) {
    throw new Error(`could not be fetched (${error instanceof Error ? error.message : error})`);
  }
  if (!response.ok) throw new Error(`answered ${response.status}`);
  const text = await response.text();
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new Error("is not valid JSON");
  }
}

function listEntries(index: unknown, registryUrl: string) {
  const plugins = isObject(index) ? index.plugins : undefined;
  if (!Array.isArray(plugins)) {
    throw new PluginRegistryError(`registry ${registryUrl} has no "plugins" list`);
  }
  const entries: Entry[] = [];
  const skipped: SkippedPlugin[] = [];
  const containers = new Map<string, string>();
  plugins.forEach((value: unknown, position) => {
    const problem = entryProblem(value);
    if (problem !== undefined) {
      skipped.push({ id: entryId(value, position), reason: problem });
      return;
    }
    const entry = value as PluginRegistryEntry;
    const name = containerName(entry.id);
    const first = containers.get(name);
    if (first !== undefined) {
      const reason =
        first === entry.id
          ? "is listed twice in the index"
          : `loads the same container ${name} as "${first}"`;
      skipped.push({ id: entry.id, reason });
      return;
    }
    containers.set(name, entry.id);
    entries.push({ ...entry, url: absolute(entry.manifestUrl, registryUrl) });
  });
  return { entries, skipped };
}

function entryProblem(value: unknown): string | undefined {
  if (!isObject(value)) return "the index entry is not an object";
  for (const field of ["id", "version", "manifestUrl"]) {
    if (typeof value[field] !== "string" || value[field] === "") {
      return `the index entry has no ${field}`;
    }
  }
  return undefined;
}

function entryId(value: unknown, position: number): string {
  return isObject(value) && typeof value.id === "string" ? value.id : `plugins[${position}]`;
}

async function readManifest(
  doFetch: FetchFunction,
  entry: Entry,
  init: RequestInit | undefined,
): Promise<ManifestResult> {
  const skip = (problem: string) => ({ id: entry.id, reason: `manifest ${entry.url} ${problem}` });
  let value: unknown;
  try {
    value = await readJson(doFetch, entry.url, init);
  } catch (error) {
    return skip(describe(error));
  }
  const problem = manifestProblem(value);
  if (problem !== undefined) return skip(problem);
  const manifest = value as PluginManifest;
  if (manifest.id !== entry.id) {
    return skip(`is for "${manifest.id}", the index lists "${entry.id}"`);
  }
  if (manifest.version !== entry.version) {
    return skip(
      `is version ${manifest.version}, the index lists ${entry.version} (one of them is stale)`,
    );
  }
  return { manifest };
}

function manifestProblem(value: unknown): string | undefined {
  if (!isObject(value)) return "is not a JSON object";
  for (const field of ["id", "version"]) {
    if (typeof value[field] !== "string") return `has no ${field}`;
  }
  const ui = value.ui;
  if (!isObject(ui)) return "has no ui object";
  for (const field of ["remoteEntry", "expose"]) {
    if (typeof ui[field] !== "string") return `has no ui.${field}`;
  }
  if (!isHttpUrl(ui.remoteEntry as string)) {
    return `has ui.remoteEntry ${JSON.stringify(ui.remoteEntry)}, not an http(s) URL`;
  }
  // A browser ignores integrity metadata it cannot parse and runs the script unchecked.
  if (ui.integrity !== undefined && !isSriHash(ui.integrity)) {
    return `has ui.integrity ${JSON.stringify(ui.integrity)}, not an SRI hash (sha384-<base64>)`;
  }
  return undefined;
}

const SRI_HASH =
  /^(?:sha256-[A-Za-z0-9+/]{43}=|sha384-[A-Za-z0-9+/]{64}|sha512-[A-Za-z0-9+/]{86}==)$/;

function isSriHash(value: unknown): boolean {
  return typeof value === "string" && SRI_HASH.test(value);
}

// ---- the remote entries

interface Container {
  init?: (shareScope: unknown) => unknown;
  get: (module: string) => Promise<() => unknown> | (() => unknown);
}

declare const __webpack_init_sharing__: ((scope: string) => Promise<void>) | undefined;
declare const __webpack_share_scopes__: Record<string, unknown> | undefined;

const remoteEntries = new Map<string, Promise<void>>();
const initialised = new WeakSet<object>();

function loadRemoteEntry(id: string, url: string, integrity: string | undefined): Promise<void> {
  const key = `${url} ${integrity ?? ""}`;
  let pending = remoteEntries.get(key);
  if (pending === undefined) {
    pending = injectScript(id, url, integrity);
    remoteEntries.set(key, pending);
    // A failed load may be tried again by a later call.
    pending.catch(() => remoteEntries.delete(key));
  }
  return pending;
}

function injectScript(id: string, url: string, integrity: string | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = url;
    script.async = true;
    if (integrity !== undefined) {
      // SRI on a cross-origin script needs a CORS request; without one the browser refuses it.
      script.setAttribute("integrity", integrity);
      script.setAttribute("crossorigin", "anonymous");
    }
    script.onload = () => resolve();
    script.onerror = () => {
      script.remove();
      const why =
        integrity === undefined
          ? "is gone or was blocked"
          : "is gone, was blocked, or no longer matches its ui.integrity " +
            "(redeployed without registering)";
      reject(new PluginLoadError(id, `remote entry ${url} did not load: it ${why}`));
    };
    document.head.appendChild(script);
  });
}

async function initContainer(
  id: string,
  name: string,
  container: Container,
  options: LoadOptions,
): Promise<void> {
  if (typeof container.init !== "function" || initialised.has(container)) return;
  const init = container.init.bind(container);
  const scope = "shareScope" in options ? options.shareScope : await defaultShareScope();
  await attempt(id, `container ${name} refused the share scope`, async () => init(scope));
  initialised.add(container);
}

async function defaultShareScope(): Promise<unknown> {
  // Defined when webpack builds the dashboard; the typeof checks are safe everywhere else.
  if (
    typeof __webpack_init_sharing__ === "function" &&
    typeof __webpack_share_scopes__ === "object"
  ) {
    await __webpack_init_sharing__("default");
    return __webpack_share_scopes__.default;
  }
  return {};
}

function isContainer(value: unknown): value is Container {
  return isObject(value) && typeof value.get === "function";
}

async function attempt<R>(id: string, what: string, run: () => Promise<R> | R): Promise<R> {
  try {
    return await run();
  } catch (error) {
    throw new PluginLoadError(id, `${what}: ${error instanceof Error ? error.message : error}`);
  }
}

// ---- small pieces

function skippedFor(id: string, error: unknown): SkippedPlugin {
  if (error instanceof PluginLoadError) return { id: error.pluginId, reason: error.reason };
  return { id, reason: error instanceof Error ? error.message : String(error) };
}

function warn(skipped: SkippedPlugin): void {
  console.warn(`plugin ${skipped.id} skipped: ${skipped.reason}`);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isHttpUrl(value: string): boolean {
  try {
    const { protocol } = new URL(value);
    return protocol === "https:" || protocol === "http:";
  } catch {
    return false;
  }
}

function absolute(url: string, base: string | undefined): string {
  try {
    return new URL(url, base).href;
  } catch {
    return url;
  }
}
