/**
 * Where installed models live: `models.dir` from the config when set, else
 * `<dataDir>/models`; and which catalog file to read (`models.catalog`, else the bundled one).
 */
import { join } from 'node:path';
import type { EarshotConfig } from '../config/types.js';
import { DEFAULT_CATALOG_PATH } from './catalog.js';

/** The config section this module reads (schema fragment: models.dir, models.catalog). */
export interface ModelsConfig {
  dir: string | null;
  catalog: string | null;
}

function section(config: EarshotConfig): Partial<ModelsConfig> {
  const s = config.models;
  return typeof s === 'object' && s !== null ? (s as Partial<ModelsConfig>) : {};
}

export function modelsDir(config: EarshotConfig): string {
  return section(config).dir ?? join(config.dataDir, 'models');
}

export function catalogPath(config: EarshotConfig): string {
  return section(config).catalog ?? DEFAULT_CATALOG_PATH;
}

export interface ModelsLocation {
  modelsDir: string;
  catalogPath: string;
}

/**
 * For CLI commands that work without the daemon: explicit flags win, else the config file
 * (given, or the installed default when present), else the schema defaults.
 */
export function locateModels(flags: { config?: string | undefined; dataDir?: string | undefined; catalog?: string | undefined }, load: (file: string | undefined) => EarshotConfig, defaultConfigFile: string, fileExists: (p: string) => boolean): ModelsLocation {
  const file = flags.config ?? (fileExists(defaultConfigFile) ? defaultConfigFile : undefined);
  const config = load(file);
  return {
    modelsDir: flags.dataDir ? join(flags.dataDir, 'models') : modelsDir(config),
    catalogPath: flags.catalog ?? catalogPath(config),
  };
}
