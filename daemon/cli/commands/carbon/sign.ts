import { Args, Flags } from '@oclif/core';
import { EarshotCommand } from '../../earshot-command.js';
import { failCommand } from '../../errors.js';
import { loadCommandKey } from '../../../mqtt/commands/command-key.js';
import { signCarbonReading, type CarbonReadingFields, type SignedCarbonReading } from '../../../energy/carbon/signed-reading.js';
import { parseForecastJson, parseTime } from '../../../energy/carbon/forecast-parsers.js';
import { payloadErrors } from '../../../mqtt/payload-schemas.js';
import { schedulerSection } from '../../../scheduler/config.js';
import { localConfig } from '../../../scheduler/cli-support.js';

export default class CarbonSign extends EarshotCommand {
  static override summary = 'Sign a carbon-intensity reading for boxes with scheduler.carbon.mqttKeyFile, and print it to publish.';
  static override description =
    'Prints one line of JSON (schemas/carbon-reading.schema.json) for the carbon topic, signed with the shared key for that topic, now, with a fresh nonce. Publish it at once (it is taken for scheduler.carbon.maxAgeMinutes) with any MQTT client, retained so that a box that starts later reads it.';
  static override enableJsonFlag = true;
  static override args = {
    reading: Args.string({ description: 'gCO2e/kWh now (182), or JSON: {"gPerKWh"?, "at"?, "forecast"?: [{"from", "to"?, "gPerKWh"}]}', required: true }),
  };
  static override flags = {
    'key-file': Flags.string({ description: "file holding the site's carbon key, the boxes' scheduler.carbon.mqttKeyFile (chmod 600)", required: true }),
    topic: Flags.string({ description: 'topic it goes on (default: scheduler.carbon.mqttTopic of the config)' }),
    config: Flags.string({ char: 'c', description: 'config file (for the topic)', env: 'EARSHOT_CONFIG' }),
  };
  static override examples = [
    `mosquitto_pub -r -t earshot/grid/intensity -m "$(<%= config.bin %> carbon sign 182 --key-file /etc/earshot/carbon.key)"`,
    `<%= config.bin %> carbon sign '{"gPerKWh":182,"forecast":[{"from":"2026-11-25T07:00Z","to":"2026-11-25T08:00Z","gPerKWh":90}]}' --key-file ./carbon.key --topic site-a/grid/intensity`,
  ];

  async run(): Promise<SignedCarbonReading> {
    const { args, flags } = await this.parse(CarbonSign);
    const reading = readingOf(args.reading);
    if ('problem' in reading) this.error(`READING: ${reading.problem}`, { exit: 2, suggestions: ['182', `'{"gPerKWh":182,"at":"2026-11-25T07:00:00Z"}'`] });
    try {
      const topic = flags.topic ?? schedulerSection(localConfig(flags.config)).carbon.mqttTopic;
      // The publisher's copy of the key need not belong to the daemon's user, but must stay private.
      const key = loadCommandKey(flags['key-file'], { checkOwner: false, setting: '--key-file' });
      const signed = signCarbonReading(key, topic, reading.value);
      // Without --json, one line: what mosquitto_pub -m "$(…)" publishes as it is.
      this.log(JSON.stringify(signed));
      return signed;
    } catch (err) {
      failCommand(this, err);
    }
  }
}

/** The reading given, checked as a box would check it, so a bad one fails here and not unseen there. */
function readingOf(text: string): { value: CarbonReadingFields } | { problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { problem: `not a number nor JSON: ${JSON.stringify(text)}` };
  }
  if (typeof value === 'number') value = { gPerKWh: value };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { problem: 'must be a number or a JSON object' };
  const fields = value as Record<string, unknown>;
  const unknown = Object.keys(fields).filter((k) => !['gPerKWh', 'at', 'forecast'].includes(k));
  if (unknown.length > 0) return { problem: `unknown field(s) ${unknown.join(', ')}: a reading has gPerKWh, at and forecast` };
  // Checked with stand-ins for what signing adds, so the schema speaks of the reading only.
  const errors = payloadErrors('carbon-reading', { ...fields, ts: 0, nonce: 'x'.repeat(16), sig: '0'.repeat(64) });
  if (errors.length > 0) return { problem: errors.join('; ') };
  if (fields.at !== undefined && parseTime(fields.at) === undefined) return { problem: `"at" must be an ISO 8601 time, got ${JSON.stringify(fields.at)}` };
  try {
    if (fields.forecast !== undefined) parseForecastJson(JSON.stringify(fields.forecast), 'forecast');
  } catch (err) {
    return { problem: (err as Error).message };
  }
  return { value: fields as CarbonReadingFields };
}
