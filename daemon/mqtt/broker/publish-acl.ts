/**
 * What clients other than the daemon itself may publish on the embedded broker. The topics
 * under `earshot/<siteId>/` (and the bare `earshot/<siteId>`) are the daemon's own (status,
 * transcripts, partials, telemetry, replies): a subscriber must be able to trust that what
 * arrives there came from earshotd, so only commands (`cmd/<verb>`, which are signed) may come
 * from outside, and never retained: a retained command would be handed to every subscriber,
 * the daemon included at each resubscribe, long after it was sent. Topics starting with `$`
 * are the broker's own: aedes acts on `$SYS/+/new/clients` by disconnecting the client it
 * names, so a publish there would throw any client, the daemon included, off. Every other
 * topic, such as a carbon-intensity feed on `earshot/grid/intensity`, stays open.
 */
export function outsiderMayPublish(siteId: string, topic: string, alsoOwn: readonly string[] = [], retain = false): boolean {
  if (topic.startsWith('$')) return false;
  // Other prefixes only earshotd writes: its Home Assistant discovery configs, when on.
  if (alsoOwn.some((prefix) => under(topic, prefix))) return false;
  const own = `earshot/${siteId}/`;
  if (!under(topic, own)) return true;
  const rest = topic.slice(own.length).split('/');
  return !retain && rest.length === 2 && rest[0] === 'cmd' && rest[1] !== '';
}

/** `topic` is `prefix` or below it; a prefix ending in `/` also covers the topic without that slash. */
function under(topic: string, prefix: string): boolean {
  return topic.startsWith(prefix) || (prefix.endsWith('/') && topic === prefix.slice(0, -1));
}
