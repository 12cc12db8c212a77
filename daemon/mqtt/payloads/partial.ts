import { PAYLOAD_VERSION } from './status.js';

/** `earshot/<siteId>/partial/<sourceId>`, QoS 0: the running hypothesis of a streaming model. */
export interface PartialPayload {
  v: typeof PAYLOAD_VERSION;
  siteId: string;
  sourceId: string;
  /** Id the final transcript of this segment will carry. */
  segmentId: string;
  text: string;
  /** Seconds from the start of the source. */
  startOffsetSec: number;
  ts: string;
}
