import type { FleetIdentityConfig } from './fleet/fleet-identity-load.js';
/**
 * The `mqtt` section of the config after validation has filled in every default from the
 * schema (schemas/config/mqtt.schema.json, merged into config.schema.json). Defaults are
 * never written here: this only names the shape.
 */
export interface MqttTlsConfig {
  /** PEM file of the CA that signed the broker's certificate; null = the system CAs. */
  ca: string | null;
  /** PEM client certificate for brokers that require one. */
  cert: string | null;
  /** PEM private key of `cert`. */
  key: string | null;
  /** Refuse brokers whose certificate does not verify. Only turn off for a lab. */
  rejectUnauthorized: boolean;
}

export interface MqttReconnectConfig {
  /** First reconnect delay; doubled after each failure up to `maxDelayMs`. */
  minDelayMs: number;
  maxDelayMs: number;
}

export interface MqttOutboxConfig {
  /** Pending transcripts beyond this many bytes push the oldest out (logged, counted). */
  maxBytes: number;
  /** Pending transcripts older than this are dropped (logged, counted). 0 = no age limit. */
  maxAgeHours: number;
}

export interface MqttCommandsConfig {
  enabled: boolean;
  /** File holding the shared HMAC key; must not be readable by group or others. */
  keyFile: string | null;
  /** Commands whose timestamp is further than this from our clock are refused. */
  maxSkewSec: number;
  /** Commands bigger than this are refused unread (see RemoteCommands). */
  maxBytes: number;
}

export interface MqttFleetConfig {
  enabled: boolean;
  /** The site group whose job backlog this box shares. */
  group: string;
  /** A job offered but not finished within this time is offered again. */
  leaseSec: number;
  /** Largest recording offered to, or taken from, the group (the audio travels in the offer). */
  maxAudioBytes: number;
  /** Audio this box has out in the group at once; further offers wait on disk. */
  maxOutstandingBytes: number;
  /** An offer nobody claimed within this is offered again. */
  claimTimeoutSec: number;
  /** Claims held here waiting for a free slot, at most, whatever the scheduler allows. */
  maxHeld: number;
  /** File holding the group's shared HMAC key; null = fleet messages are not signed. */
  keyFile: string | null;
  /** This box's own key and the members' public keys; null = no per-box identities. */
  identity: FleetIdentityConfig | null;
}

/** The fleet limits with every value present, in the units the code uses. */
export interface FleetLimits {
  maxAudioBytes: number;
  maxOutstandingBytes: number;
  claimTimeoutMs: number;
  maxHeld: number;
}

/** The fleet limits from the validated config (defaults from config.schema.json), in the units the code uses. */
export function fleetLimits(fleet: Pick<MqttFleetConfig, 'maxAudioBytes' | 'maxOutstandingBytes' | 'claimTimeoutSec' | 'maxHeld'>): FleetLimits {
  return {
    maxAudioBytes: fleet.maxAudioBytes,
    maxOutstandingBytes: fleet.maxOutstandingBytes,
    claimTimeoutMs: fleet.claimTimeoutSec * 1000,
    maxHeld: fleet.maxHeld,
  };
}

export interface MqttHomeAssistantConfig {
  enabled: boolean;
  discoveryPrefix: string;
}

export interface MqttHermesConfig {
  enabled: boolean;
  /** The Rhasspy site this box hears; null = the daemon's siteId. */
  siteId: string | null;
  /** Live sources that are that site's microphones; empty = all. */
  sources: string[];
  listenTimeoutSec: number;
}

export interface MqttConfig {
  /** External broker (`mqtt://`, `mqtts://`); null = start the embedded broker and use it. */
  url: string | null;
  embedded: { host: string; port: number; passwordFile: string | null; maxConnections: number; maxPacketBytes: number; maxQueuedMessages: number; sessionExpiryHours: number };
  /** Stable client id (clean session off needs one); null = `earshot-<siteId>`. */
  clientId: string | null;
  username: string | null;
  /** File holding the broker password (first line); kept out of the config file. */
  passwordFile: string | null;
  tls: MqttTlsConfig;
  /** 5 = MQTT 5, 4 = MQTT 3.1.1. */
  protocolVersion: 4 | 5;
  /** The largest packet the broker takes when it does not announce one (MQTT 3.1.1); null = the announced limit only. */
  maxPacketBytes: number | null;
  keepaliveSec: number;
  connectTimeoutMs: number;
  reconnect: MqttReconnectConfig;
  outbox: MqttOutboxConfig;
  /** Seconds between telemetry messages; 0 = none. */
  telemetryIntervalSec: number;
  commands: MqttCommandsConfig;
  fleet: MqttFleetConfig;
  homeAssistant: MqttHomeAssistantConfig;
  hermes: MqttHermesConfig;
}
