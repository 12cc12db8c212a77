/**
 * Both ITN plugins as the daemon's plugin host reads them: manifest (engines, main, schema
 * path), the default export, and config validation against the schema they ship.
 */
import t from 'tap';
import { join } from 'node:path';
import { createTestContext } from '@earshot/sdk/testing';
import { parseManifest, readPackageJson } from '../../../daemon/plugins/manifest.js';
import { importDefinition } from '../../../daemon/plugins/plugin-loader.js';
import { validatePluginConfig } from '../../../daemon/plugins/config-validation.js';
import { repoRoot } from '../../helpers/paths.js';

function manifestOf(name: string) {
  const dir = join(repoRoot, 'plugins', name);
  return parseManifest(dir, readPackageJson(dir)!);
}

for (const name of ['itn-en', 'itn-zh']) {
  t.test(`${name}: the host accepts its manifest and loads its definition`, async (t) => {
    const manifest = manifestOf(name);
    t.equal(manifest.alias, name);
    t.match(manifest.description, /inverse text normalization/i);
    const definition = await importDefinition(manifest);
    const fake = createTestContext({ name: manifest.name, config: validatePluginConfig(manifest, {}) });
    const instance = await definition.create(fake.context);
    t.type(instance.normalizer?.normalize, 'function');
    await fake.stop();
  });
}

t.test('itn-en: config is validated against its schema, with the default filled in', async (t) => {
  const manifest = manifestOf('itn-en');
  t.same(validatePluginConfig(manifest, {}), { dateFormat: 'MDY' });
  t.same(validatePluginConfig(manifest, { dateFormat: 'ISO' }), { dateFormat: 'ISO' });
  t.throws(() => validatePluginConfig(manifest, { dateFormat: 'YMD' }), /plugins\.config\.itn-en\.dateFormat/);
  t.throws(() => validatePluginConfig(manifest, { dateformat: 'ISO' }), /plugins\.config\.itn-en/);
  t.throws(() => validatePluginConfig(manifest, { 'date.format': 'ISO' }), /: plugins\.config\.itn-en\["date\.format"\]: unknown key/, 'a key that is not a plain name is quoted under the plugin\'s path');
});

t.test('itn-zh takes no config and says so', async (t) => {
  const manifest = manifestOf('itn-zh');
  t.same(validatePluginConfig(manifest, undefined), {});
  t.throws(() => validatePluginConfig(manifest, { dateFormat: 'ISO' }), /takes no config/);
});
