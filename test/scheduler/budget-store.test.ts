import t from 'tap';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/paths.js';
import { BudgetStore } from '../../daemon/scheduler/budget-store.js';

const defaults = { powerBudgetWatts: null, softC: 75, hardC: 90, hysteresisC: 5 };

t.test('set persists overrides over the config defaults; a new store sees them', async (t) => {
  const dir = tempDir();
  const store = new BudgetStore(dir, defaults);
  t.same((await store.load()).budget, defaults);
  t.same(await store.set({ powerBudgetWatts: 15 }), { ...defaults, powerBudgetWatts: 15 });
  t.same(await store.set({ softC: 65, hardC: 80 }), { powerBudgetWatts: 15, softC: 65, hardC: 80, hysteresisC: 5 });
  // format beside the overrides: a release from before formats reads them as it always did.
  t.same(JSON.parse(readFileSync(join(dir, 'scheduler', 'budget.json'), 'utf8')), { format: 1, powerBudgetWatts: 15, softC: 65, hardC: 80 });
  const reopened = new BudgetStore(dir, { ...defaults, hysteresisC: 3 });
  t.same(await reopened.load(), { budget: { powerBudgetWatts: 15, softC: 65, hardC: 80, hysteresisC: 3 }, overriding: { powerBudgetWatts: 15, softC: 65, hardC: 80 } });
  t.same(await reopened.set({ powerBudgetWatts: null }), { powerBudgetWatts: null, softC: 65, hardC: 80, hysteresisC: 3 });
});

t.test('invalid values are refused with the flag names, and nothing is written', async (t) => {
  const dir = tempDir();
  const store = new BudgetStore(dir, defaults);
  await store.load();
  await t.rejects(store.set({ softC: 95 }), /--temp-hard \(90 °C\) must be above --temp-soft \(95 °C\)/);
  await t.rejects(store.set({ powerBudgetWatts: 0 }), /--watts must be between 1 and 5000/);
  await t.rejects(store.set({ hardC: Number.NaN }), /--temp-hard must be between 20 and 150/);
  // The same rules as scheduler.thermal in a config file (thermal-rules.ts), named by the flag.
  await t.rejects(store.set({ hysteresisC: 80 }), /--hysteresis must be between 0 and 50 °C, got 80/);
  await t.rejects(store.set({ softC: 40, hysteresisC: 45 }), /--hysteresis \(45 °C\) must be below --temp-soft \(40 °C\)/);
  t.same(store.current(), defaults);
});

t.test("a budget file a power cut left empty or cut short is named, the config's limits hold, and budget set writes it again", async (t) => {
  for (const damaged of ['', '{"powerBudgetWatts": 1', '\0'.repeat(40)]) {
    const dir = tempDir();
    mkdirSync(join(dir, 'scheduler'));
    const file = join(dir, 'scheduler', 'budget.json');
    writeFileSync(file, damaged);
    const store = new BudgetStore(dir, defaults);
    t.same(await store.load(), { budget: defaults, overriding: {} }, `${JSON.stringify(damaged)}: the config's values`);
    t.match(store.unreadable, `${file} cannot be read (`, 'names the file');
    await store.set({ powerBudgetWatts: 20 });
    t.equal(store.unreadable, undefined, 'mended by budget set');
    t.same((await new BudgetStore(dir, defaults).load()).budget, { ...defaults, powerBudgetWatts: 20 });
  }
});

t.test('overrides saved against an earlier config that break the budget with this one are set aside at load, so later sets work', async (t) => {
  const dir = tempDir();
  await new BudgetStore(dir, defaults).set({ powerBudgetWatts: 15, softC: 60 });
  // The config now has its hard limit below the saved soft limit.
  const store = new BudgetStore(dir, { ...defaults, softC: 50, hardC: 58 });
  const loaded = await store.load();
  t.same(loaded.budget, { powerBudgetWatts: 15, softC: 50, hardC: 58, hysteresisC: 5 }, "the config's thermal limits; the saved watts still hold");
  t.same(loaded.overriding, { powerBudgetWatts: 15 });
  t.match(loaded.setAside, { overrides: { softC: 60 }, why: /--temp-hard \(58 °C\) must be above --temp-soft \(60 °C\)/ });
  t.same(await store.set({ powerBudgetWatts: null }), { powerBudgetWatts: null, softC: 50, hardC: 58, hysteresisC: 5 }, 'and the watts can be changed alone');
});
