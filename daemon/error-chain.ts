/**
 * `err`, then its `cause`, that one's `cause` … at most `links` of them. Wrappers that add
 * context (a file name, say) keep the original error there, with its errno code and class.
 */
export function* errorChain(err: unknown, links: number): Generator<unknown> {
  for (let e = err, i = 0; e && i < links; e = (e as { cause?: unknown }).cause, i++) yield e;
}
