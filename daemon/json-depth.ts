/**
 * How deep a message from outside may nest. Ours nest a few levels; a client can send
 * thousands (`{"a":` 3,000 times is 15 KB), and any recursive walk over it — the canonical
 * JSON a signature is checked over, a validator, a logger — then exhausts the stack.
 */
export const MAX_JSON_DEPTH = 32;

/**
 * Whether parsed JSON nests objects or arrays more than `limit` deep (`{}` and `[]` are
 * depth 1). Walks with its own stack, so that the check cannot overflow on what it refuses.
 */
export function nestedDeeperThan(value: unknown, limit: number): boolean {
  const pending: Array<{ value: unknown; depth: number }> = [{ value, depth: 1 }];
  for (let next = pending.pop(); next; next = pending.pop()) {
    if (next.value === null || typeof next.value !== 'object') continue;
    if (next.depth > limit) return true;
    for (const child of Object.values(next.value)) {
      if (child !== null && typeof child === 'object') pending.push({ value: child, depth: next.depth + 1 });
    }
  }
  return false;
}
