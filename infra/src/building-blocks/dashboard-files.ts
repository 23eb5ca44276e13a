/** The dashboards of `dashboards/` as the stacks deploy them: read at synth time, from the one copy in the repository. */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

const DASHBOARDS = new URL('../../../dashboards/', import.meta.url);

export function readDashboard(fileName: 'azure-monitor-workbook.json' | 'grafana-dashboard.json'): string {
  return readFileSync(new URL(fileName, DASHBOARDS), 'utf8');
}

/** A name-based UUID (RFC 4122 version 5 layout over SHA-1): the same name gives the same id on every synth. */
export function uuidFromName(name: string): string {
  const hash = createHash('sha1').update(`scalable-etl/${name}`).digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
