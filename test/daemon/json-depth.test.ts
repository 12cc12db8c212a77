import t from 'tap';
import { MAX_JSON_DEPTH, nestedDeeperThan } from '../../daemon/json-depth.js';
import { payloadErrors } from '../../daemon/mqtt/payload-schemas.js';
import { signCommand } from '../../daemon/mqtt/commands/signature.js';

/** `{"a":{"a":…1…}}`, `depth` objects deep, parsed as a message from the broker would be. */
function nested(depth: number): unknown {
  return JSON.parse('{"a":'.repeat(depth) + '1' + '}'.repeat(depth));
}

t.test('nesting is measured without recursion, objects and arrays alike', async (t) => {
  t.notOk(nestedDeeperThan(1, 0), 'a scalar has no depth');
  t.notOk(nestedDeeperThan({}, 1));
  t.ok(nestedDeeperThan({}, 0));
  t.notOk(nestedDeeperThan(nested(32), 32));
  t.ok(nestedDeeperThan(nested(33), 32));
  t.ok(nestedDeeperThan({ wide: [1, 2, 'x', null], deep: [[[[]]]] }, 4), 'the deepest branch counts, not the first');
  t.notOk(nestedDeeperThan({ wide: [1, 2, 'x', null], deep: [[[[]]]] }, 5));
  // Deep enough that any recursive walk over it overflows the stack.
  t.ok(nestedDeeperThan(JSON.parse('['.repeat(200_000) + ']'.repeat(200_000)), MAX_JSON_DEPTH));
});

t.test('a command whose params nest deeper than the bound is malformed; one just inside it validates', async (t) => {
  const key = Buffer.from('k'.repeat(40));
  // params sit one level below the command itself.
  const inside = signCommand(key, 'lab-1', 'status', nested(MAX_JSON_DEPTH - 1) as Record<string, unknown>);
  t.same(payloadErrors('command', inside), []);
  const over = { ...inside, params: nested(MAX_JSON_DEPTH) };
  t.same(payloadErrors('command', over), [`/: nested deeper than ${MAX_JSON_DEPTH} levels`]);
  t.same(payloadErrors('command', { ...inside, params: nested(3000) }), [`/: nested deeper than ${MAX_JSON_DEPTH} levels`]);
});
