import type { PacketTooLargeError } from '../packet-size.js';

/**
 * What a taker tells its offerer in place of a result too big for the broker. The job did
 * run to the end there, and its transcripts went out one segment per message under the
 * taker's site; only the summary for the offerer's record cannot travel. Said as an error
 * result, not as silence: silence made the offerer offer the job again at each lease, to
 * boxes that fail the same way, for ever (each run publishing the transcripts again). An
 * error result ends the job on offerers of every version, since `job-done` allows no new field.
 */
export function resultTooLargeError(takenBy: string, err: PacketTooLargeError): string {
  return (
    `the job ran to the end on ${takenBy}, which published its transcripts on earshot/${takenBy}/transcript/, ` +
    `but its result for this box is a ${err.bytes}-byte MQTT packet, ` +
    (err.limit === null ? `${err.tooLargeFor}; ` : `over the broker's maximum packet size of ${err.limit} bytes as ${takenBy} knows it (the broker's announced limit, or mqtt.maxPacketBytes on ${takenBy}); `) +
    `so it is not offered again. ` +
    `To have the result here, raise that limit to at least ${err.bytes} bytes, or submit the file without --fleet`
  );
}
