/** `name@version` as the CLI lists a plugin; the name alone when its package gives no version. */
export function pluginLabel(plugin: { name: string; version: string }): string {
  return plugin.version === '' ? plugin.name : `${plugin.name}@${plugin.version}`;
}
