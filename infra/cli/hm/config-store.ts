import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Where `hm login` keeps the server URL and credentials: $HM_CONFIG, else
 * ~/.config/harbormaster/config.json (honouring $XDG_CONFIG_HOME). The file holds secrets,
 * so it is written owner-only (0600, its folder 0700), replaced atomically.
 */
export interface HmConfig {
  url?: string;
  apiKey?: string;
  adminToken?: string;
}

export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HM_CONFIG) return path.resolve(env.HM_CONFIG);
  const base = env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config');
  return path.join(base, 'harbormaster', 'config.json');
}

export class ConfigFileError extends Error {}

export function readConfig(file: string): HmConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new ConfigFileError(`cannot read ${file}: ${(e as Error).message}`);
  }
  try {
    const v = JSON.parse(text);
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
    return { url: str(v.url), apiKey: str(v.apiKey), adminToken: str(v.adminToken) };
  } catch (e) {
    throw new ConfigFileError(`${file} is not a valid config file (${(e as Error).message}); run hm logout, then hm login`);
  }
}

const str = (v: unknown) => (typeof v === 'string' && v.length > 0 ? v : undefined);

export function writeConfig(file: string, config: HmConfig): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(config, null, 2) + '\n', { mode: 0o600 });
  // An existing umask or file mode cannot widen it.
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

export function removeConfig(file: string): boolean {
  try {
    rmSync(file);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}
