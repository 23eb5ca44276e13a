/**
 * The app's configuration, read once from the environment (names in app-settings.ts) and turned
 * into a readonly, defaulted object. Invalid values fail here with a message naming the setting.
 */
import { z } from 'zod';
import { EtlError } from '../errors/etl-error.js';
import { APP_SETTINGS, type AppSettingName } from './app-settings.js';
import type { SqlConfig } from '../sql/sql-config.js';
import type { RetryPolicy } from '../runtime/retry.js';

/** How a client reaches an Azure service: a connection string (local) or an identity (Azure). */
export type ServiceConnection =
  | { readonly kind: 'connection-string'; readonly connectionString: string }
  | {
      readonly kind: 'identity';
      /** Storage account name, or Event Hubs fully qualified namespace. */
      readonly endpoint: string;
      readonly credential: 'managedidentity' | 'workloadidentity';
      readonly clientId?: string;
    };

/** How the app reaches its SQL database: the SQL layer's own configuration type. */
export type SqlSettings = SqlConfig;

export interface EtlConfig {
  readonly storage: ServiceConnection;
  readonly eventHubs: ServiceConnection;
  readonly hubs: {
    readonly records: string;
    readonly aggregates: string;
    readonly transformConsumerGroup: string;
    readonly aggregateConsumerGroup: string;
  };
  readonly containers: { readonly landing: string; readonly rejected: string; readonly deadLetters: string };
  readonly sql: SqlSettings;
  readonly migrateOnStart: boolean;
  readonly datasetsDir?: string;
  readonly chunk: { readonly maxRows: number; readonly maxBytes: number };
  /** Most rows transform loads in one SQL transaction. */
  readonly transformTransactionRows: number;
  /** How long a file may stay `extracting` with no heartbeat before the extract sweep puts its landing event back. */
  readonly extractStalledAfterMs: number;
  readonly retry: RetryPolicy;
  readonly appInsightsConnectionString?: string;
}

type Env = Readonly<Record<string, string | undefined>>;

const positiveInt = (max: number) => z.coerce.number().int().min(1).max(max);
const boolText = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
const containerName = z.string().regex(/^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}$/, 'a storage container name (3–63 of a-z, 0-9, -)');
const hubName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,255}$/, 'an Event Hub or consumer group name');

function read(env: Env, name: AppSettingName): string | undefined {
  const value = env[name];
  if (value !== undefined && value.trim() !== '') return value.trim();
  const spec = APP_SETTINGS[name] as { default?: string };
  return spec.default;
}

function parse<T>(env: Env, name: AppSettingName, schema: z.ZodType<T>): T {
  const result = schema.safeParse(read(env, name));
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new EtlError('INVALID_CONFIG', `setting ${name}: ${issue?.message ?? 'invalid'} (got ${JSON.stringify(env[name] ?? null)})`);
  }
  return result.data;
}

/**
 * Whether a storage or Event Hubs connection string carries anything to sign in with: a key, a SAS
 * or the storage emulator's well-known account. A string without one cannot authenticate; azurerm
 * writes such an `AzureWebJobsStorage` into Flex Consumption apps (infra/README.md, "Provider pitfalls").
 */
export function connectionStringHasCredential(connectionString: string): boolean {
  const parts = new Map<string, string>();
  for (const part of connectionString.split(';')) {
    const at = part.indexOf('=');
    if (at > 0) parts.set(part.slice(0, at).trim().toLowerCase(), part.slice(at + 1).trim());
  }
  if (parts.get('usedevelopmentstorage')?.toLowerCase() === 'true') return true;
  return ['accountkey', 'sharedaccesskey', 'sharedaccesssignature'].some((name) => (parts.get(name) ?? '') !== '');
}

function connection(env: Env, prefix: 'AzureWebJobsStorage' | 'ETL_EVENTHUB', endpointSuffix: string): ServiceConnection {
  const connectionString = read(env, prefix);
  const endpoint = env[`${prefix}__${endpointSuffix}`]?.trim();
  if (connectionString) {
    if (connectionStringHasCredential(connectionString)) return { kind: 'connection-string', connectionString };
    if (!endpoint) {
      throw new EtlError(
        'INVALID_CONFIG',
        `setting ${prefix}: the connection string carries no key or SAS; give one, or set ${prefix}__${endpointSuffix} for an identity-based connection`,
      );
    }
    // A string without a credential beside the identity-based name: the identity wins.
  }
  if (!endpoint) {
    throw new EtlError(
      'INVALID_CONFIG',
      `setting ${prefix} (a connection string) or ${prefix}__${endpointSuffix} (identity-based) is required`,
    );
  }
  const credential = env[`${prefix}__credential`]?.trim() || 'managedidentity';
  if (credential !== 'managedidentity' && credential !== 'workloadidentity') {
    throw new EtlError(
      'INVALID_CONFIG',
      `setting ${prefix}__credential: expected 'managedidentity' or 'workloadidentity', got '${credential}'`,
    );
  }
  const clientId = env[`${prefix}__clientId`]?.trim() || undefined;
  return { kind: 'identity', endpoint, credential, clientId };
}

function sqlSettings(env: Env): SqlSettings {
  const driver = parse(env, 'ETL_SQL_DRIVER', z.enum(['sqlite', 'mssql']));
  if (driver === 'sqlite') return { driver, path: parse(env, 'ETL_SQLITE_PATH', z.string().min(1)) };
  const auth = parse(env, 'ETL_SQL_AUTH', z.enum(['managed-identity', 'connection-string']));
  const connectionString = read(env, 'ETL_SQL_CONNECTION_STRING');
  if (auth === 'connection-string' && !connectionString) {
    throw new EtlError('INVALID_CONFIG', "setting ETL_SQL_CONNECTION_STRING is required when ETL_SQL_AUTH is 'connection-string'");
  }
  return {
    driver,
    auth,
    server: auth === 'managed-identity' ? parse(env, 'ETL_SQL_SERVER', z.string().min(1)) : (read(env, 'ETL_SQL_SERVER') ?? ''),
    database: auth === 'managed-identity' ? parse(env, 'ETL_SQL_DATABASE', z.string().min(1)) : (read(env, 'ETL_SQL_DATABASE') ?? ''),
    clientId: read(env, 'ETL_SQL_CLIENT_ID'),
    connectionString,
    poolMax: parse(env, 'ETL_SQL_POOL_MAX', positiveInt(1000)),
  };
}

/** The hub and consumer-group names alone (e.g. to declare them on the local emulator); defaults when `env` has none. */
export function hubSettings(env: Env = {}): EtlConfig['hubs'] {
  return {
    records: parse(env, 'ETL_RECORDS_HUB', hubName),
    aggregates: parse(env, 'ETL_AGGREGATES_HUB', hubName),
    transformConsumerGroup: parse(env, 'ETL_TRANSFORM_CONSUMER_GROUP', hubName),
    aggregateConsumerGroup: parse(env, 'ETL_AGGREGATE_CONSUMER_GROUP', hubName),
  };
}

/** Read and validate the configuration. Throws EtlError('INVALID_CONFIG') naming the bad setting. */
export function loadEtlConfig(env: Env = process.env): EtlConfig {
  return Object.freeze({
    storage: connection(env, 'AzureWebJobsStorage', 'accountName'),
    eventHubs: connection(env, 'ETL_EVENTHUB', 'fullyQualifiedNamespace'),
    hubs: hubSettings(env),
    containers: {
      landing: parse(env, 'ETL_LANDING_CONTAINER', containerName),
      rejected: parse(env, 'ETL_REJECTED_CONTAINER', containerName),
      deadLetters: parse(env, 'ETL_DEADLETTER_CONTAINER', containerName),
    },
    sql: sqlSettings(env),
    migrateOnStart: parse(env, 'ETL_SQL_MIGRATE_ON_START', boolText),
    datasetsDir: read(env, 'ETL_DATASETS_DIR'),
    chunk: {
      maxRows: parse(env, 'ETL_CHUNK_MAX_ROWS', positiveInt(100_000)),
      // Leave room under the 1 MB event limit for the envelope and properties.
      maxBytes: parse(env, 'ETL_CHUNK_MAX_BYTES', positiveInt(900_000)),
    },
    transformTransactionRows: parse(env, 'ETL_TRANSFORM_TRANSACTION_ROWS', positiveInt(1_000_000)),
    // At least two heartbeats (30 s each), so a file extract is reading is never put back.
    extractStalledAfterMs: parse(env, 'ETL_EXTRACT_STALLED_AFTER_SECONDS', z.coerce.number().int().min(60).max(86_400)) * 1000,
    retry: {
      maxAttempts: parse(env, 'ETL_MAX_ATTEMPTS', positiveInt(100)),
      baseDelayMs: parse(env, 'ETL_RETRY_BASE_MS', z.coerce.number().int().min(0).max(60_000)),
      budgetMs: parse(env, 'ETL_RETRY_BUDGET_MS', z.coerce.number().int().min(0).max(3_600_000)),
    },
    appInsightsConnectionString: read(env, 'APPLICATIONINSIGHTS_CONNECTION_STRING'),
  });
}
