import { PAYLOAD_VERSION } from './status.js';

/** `earshot/<siteId>/partial/<sourceId>`, QoS 0: the running hypothesis of a streaming model. */
export interface PartialPayload {
  v: typeof PAYLOAD_VERSION;
  siteId: string;
  sourceId: string;
  /** Id the final transcript of this segment will carry. */
  segmentId: string;
  text: string;
  /**
   * The start of `text` that later partials and the final keep (words two decodes agreed
   * on); only grows within a segment. The rest of `text` may still change.
   */
  stable: string;
  /** Seconds from the start of the source. */
  startOffsetSec: number;
  ts: string;
}
