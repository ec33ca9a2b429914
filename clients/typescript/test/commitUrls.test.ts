/**
 * Index entries whose manifestUrl names the commit that wrote the manifest
 * (`.../{owner}/{repo}/{40-hex sha}/plugins/<id>.json`, what `manifest-urls: commit` writes): a
 * dashboard that reads a cached copy of registry.json still gets exactly the manifests it lists.
 */
import assert from "node:assert/strict";
import { after, before, test, type TestContext } from "node:test";

import { fetchPluginRegistry, loadAvailablePlugins } from "../src/pluginRegistry.js";
import { installFakeBrowser, type FakeBrowser } from "./support/fakeBrowser.js";
import { TestRegistry } from "./support/registry.js";

let browser: FakeBrowser;
before(() => {
  browser = installFakeBrowser();
});
after(() => browser.uninstall());

interface Scenario {
  registry: TestRegistry;
  commit: string;
  /** registry.json as the commit wrote it, manifestUrls turned into commit URLs. */
  commitIndex: string;
  /** registry.json as the commit wrote it, branch URLs. */
  branchIndex: string;
}

/**
 * calendar 1.4.2 and notes 0.3.0 registered and committed; then calendar 1.4.3 registered and
 * committed, while the CDN still serves the index of the first commit.
 */
async function registeredTwice(t: TestContext): Promise<Scenario> {
  const registry = await TestRegistry.create();
  t.after(() => registry.close());
  registry.register("calendar", "1.4.2");
  registry.register("notes", "0.3.0");
  const commit = registry.commit("register calendar 1.4.2 and notes 0.3.0");
  const branchIndex = registry.read("registry.json");
  const index = JSON.parse(branchIndex);
  for (const entry of index.plugins) {
    entry.manifestUrl = `${registry.baseUrl}/${commit}/plugins/${entry.id}.json`;
  }
  const commitIndex = `${JSON.stringify(index, null, 2)}\n`;
  registry.register("calendar", "1.4.3");
  registry.commit("register calendar 1.4.3");
  return { registry, commit, commitIndex, branchIndex };
}

test("a commit manifestUrl reads what that commit wrote, whatever the branch holds", async (t) => {
  const { registry, commit, commitIndex } = await registeredTwice(t);
  registry.overrides.set("/registry.json", { status: 200, body: commitIndex });

  const result = await fetchPluginRegistry({ registryUrl: registry.registryUrl });

  assert.deepEqual(result.skipped, []);
  assert.deepEqual(
    result.plugins.map((plugin) => [plugin.id, plugin.version]),
    [
      ["calendar", "1.4.2"],
      ["notes", "0.3.0"],
    ],
  );
  // The manifest's own manifestUrl stays its branch URL.
  assert.equal(result.plugins[0]?.manifestUrl, `${registry.baseUrl}/plugins/calendar.json`);
  assert.deepEqual(registry.requests.map((request) => request.url).sort(), [
    `/${commit}/plugins/calendar.json`,
    `/${commit}/plugins/notes.json`,
    "/registry.json",
  ]);
});

test("the same cached index with branch manifestUrls meets a newer manifest: skipped", async (t) => {
  const { registry, branchIndex } = await registeredTwice(t);
  registry.overrides.set("/registry.json", { status: 200, body: branchIndex });

  const result = await fetchPluginRegistry({ registryUrl: registry.registryUrl, onSkip() {} });

  const url = `${registry.baseUrl}/plugins/calendar.json`;
  const reason = `manifest ${url} is version 1.4.3, the index lists 1.4.2 (one of them is stale)`;
  assert.deepEqual(result.skipped, [{ id: "calendar", reason }]);
});

test("plugins listed with commit manifestUrls load", async (t) => {
  const { registry, commitIndex } = await registeredTwice(t);
  registry.overrides.set("/registry.json", { status: 200, body: commitIndex });

  const result = await loadAvailablePlugins({ registryUrl: registry.registryUrl });

  assert.deepEqual(result.skipped, []);
  assert.deepEqual(
    result.loaded.map((plugin) => plugin.manifest.id),
    ["calendar", "notes"],
  );
  assert.ok(browser.loads.some((load) => load.src === registry.remoteEntryUrl("calendar")));
});
