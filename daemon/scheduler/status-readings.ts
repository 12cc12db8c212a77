/**
 * What the scheduler last read, for `earshot status`: the temperature it holds to the thermal
 * limits (and the sensor it reads) and the box's draw against the power budget. Without them the status said "thermal
 * normal" and nothing of a box drawing more than its budget from load the daemon cannot
 * lower (then the scheduler runs as little as it may, and only this shows why it is not
 * enough).
 */
export function describeReadings(temperatureC: number | undefined, sensor: string | undefined, power: { watts: number; source: 'measured' | 'estimated' }, budgetWatts: number | null): string {
  // Which sensor, too: with scheduler.thermal.sensor null it is the hottest CPU sensor when the daemon started.
  const temperature = sensor === undefined ? 'no temperature sensor' : temperatureC === undefined ? `no reading from ${sensor}` : `${temperatureC.toFixed(1)} °C on ${sensor}`;
  const draw = `draw ${power.watts.toFixed(1)} W ${power.source}`;
  if (budgetWatts === null) return `${temperature}, ${draw}`;
  return `${temperature}, ${draw}${power.watts > budgetWatts ? `, over the ${budgetWatts} W budget` : ` of a ${budgetWatts} W budget`}`;
}

/** "1 thread", "4 threads". */
export function threadCount(threads: number): string {
  return `${threads} thread${threads === 1 ? '' : 's'}`;
}
