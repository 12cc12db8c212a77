import t from 'tap';
import { existsSync, writeFileSync, unlinkSync } from 'node:fs';
import { Mosquitto } from '../../helpers/mosquitto.js';
import { tempDir } from '../../helpers/paths.js';
import { offererOn, startLocalBox } from '../helpers/fleet-boxes.js';

t.test('a box takes jobs only while its scheduler says it has budget', async (t) => {
  const broker = await new Mosquitto().start();
  t.teardown(() => broker.stop());
  const dir = tempDir();
  const rich = await startLocalBox(t, broker.url, 'shop', 'rich', dir, true);
  const poor = await startLocalBox(t, broker.url, 'shop', 'poor', dir, false);
  const offerer = await offererOn(t, broker.url, 'shop');
  const done = await Promise.all(Array.from({ length: 6 }, (_, i) => offerer.offer(`j${i}`, { file: `f${i}` })));
  t.same(new Set(done.map((d) => d.takenBy)), new Set(['rich']), 'only the box with budget ran jobs');
  t.equal(poor.completed().length, 0);

  // Budget arrives at the poor box, the rich one loses it: new jobs go to the other side.
  writeFileSync(poor.budgetFile, '');
  unlinkSync(rich.budgetFile);
  t.notOk(existsSync(rich.budgetFile));
  const later = await Promise.all(Array.from({ length: 4 }, (_, i) => offerer.offer(`k${i}`, { file: `g${i}` })));
  t.same(new Set(later.map((d) => d.takenBy)), new Set(['poor']));
  t.ok(rich.service.state().fleet!.worker!.handedBack >= 1, 'the box without budget handed offers back');
});
