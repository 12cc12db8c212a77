/**
 * What clients other than the daemon itself may publish on the embedded broker. The topics
 * under `earshot/<siteId>/` are the daemon's own (status, transcripts, partials, telemetry,
 * replies): a subscriber must be able to trust that what arrives there came from earshotd,
 * so only commands (`cmd/<verb>`, which are signed) may come from outside. Topics starting
 * with `$` are the broker's own: aedes acts on `$SYS/+/new/clients` by disconnecting the
 * client it names, so a publish there would throw any client, the daemon included, off.
 * Every other topic, such as a carbon-intensity feed on `earshot/grid/intensity`, stays open.
 */
export function outsiderMayPublish(siteId: string, topic: string, alsoOwn: readonly string[] = []): boolean {
  if (topic.startsWith('$')) return false;
  // Other prefixes only earshotd writes: its Home Assistant discovery configs, when on.
  if (alsoOwn.some((prefix) => topic.startsWith(prefix))) return false;
  const own = `earshot/${siteId}/`;
  if (!topic.startsWith(own)) return true;
  const rest = topic.slice(own.length).split('/');
  return rest.length === 2 && rest[0] === 'cmd' && rest[1] !== '';
}
