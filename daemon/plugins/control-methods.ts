import type { Hotword } from '@earshot/sdk';
import type { ControlServer } from '../control/server.js';
import { ControlError } from '../control/protocol.js';
import { UnknownPluginError, type PluginHost, type PluginInfo } from './host.js';
import type { PluginStatus, ProcessedTranscript } from './types.js';

declare module '../control/methods.js' {
  interface ControlMethods {
    'plugins.list': { params: Record<string, never>; result: PluginStatus[] };
    'plugins.info': { params: { name: string }; result: PluginInfo };
    'plugins.enable': { params: { name: string }; result: PluginStatus };
    'plugins.disable': { params: { name: string }; result: PluginStatus };
    /** Run text through the running normalizers and filters (for `earshot itn` against the daemon). */
    'plugins.process': { params: { text: string; language?: string }; result: ProcessedTranscript };
    'hotwords.list': { params: { language?: string }; result: Hotword[] };
  }
}

const nameParams = {
  type: 'object',
  required: ['name'],
  additionalProperties: false,
  properties: { name: { type: 'string', minLength: 1 } },
};

/** JSON Schemas of the methods' params (the build compiles them: scripts/precompiled-schemas.ts). */
export const PLUGIN_METHOD_PARAMS = {
  'plugins.info': nameParams,
  'plugins.enable': nameParams,
  'plugins.disable': nameParams,
  'plugins.process': {
    type: 'object',
    required: ['text'],
    additionalProperties: false,
    properties: { text: { type: 'string' }, language: { type: 'string', minLength: 1 } },
  },
  'hotwords.list': { type: 'object', additionalProperties: false, properties: { language: { type: 'string', minLength: 1 } } },
};

/** Turn an unknown plugin name into an error reply with the known names as hint. */
async function byName<T>(work: () => Promise<T> | T): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof UnknownPluginError) throw new ControlError('invalid_params', err.message, 'see `earshot plugins list` for the names');
    throw err;
  }
}

/** Register the plugin host's control methods; the controller calls this once at build time. */
export function registerPluginMethods(server: ControlServer, host: PluginHost): void {
  server.register('plugins.list', { handler: () => host.list() });
  server.register('plugins.info', { params: PLUGIN_METHOD_PARAMS['plugins.info'], handler: (p) => byName(() => host.info(p.name)) });
  server.register('plugins.enable', { params: PLUGIN_METHOD_PARAMS['plugins.enable'], handler: (p) => byName(() => host.enable(p.name)) });
  server.register('plugins.disable', { params: PLUGIN_METHOD_PARAMS['plugins.disable'], handler: (p) => byName(() => host.disable(p.name)) });
  server.register('plugins.process', {
    params: PLUGIN_METHOD_PARAMS['plugins.process'],
    handler: (p) => host.process(p.language === undefined ? { text: p.text } : { text: p.text, language: p.language }),
  });
  server.register('hotwords.list', {
    params: PLUGIN_METHOD_PARAMS['hotwords.list'],
    handler: (p) => host.hotwords(p.language),
  });
}
