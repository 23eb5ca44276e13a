/**
 * The one list of application settings (environment variables) the app reads. `infra/` imports
 * this list to write the Function App's app settings and the AKS Deployment's env, and a test fails
 * when the two drift apart. Nothing else in the code names an environment variable.
 *
 * Connections follow the Azure Functions conventions so that bindings and our own clients read the
 * same settings: `<PREFIX>` holds a connection string (local only), or `<PREFIX>__<property>` holds
 * the parts of an identity-based connection (Azure: no secrets in settings).
 */

export interface AppSettingSpec {
  /** What the setting means. */
  readonly description: string;
  /** Value when the setting is absent (undefined: required or optional without default). */
  readonly default?: string;
  /** True when the value can hold a secret: infra must never write such a setting in Azure. */
  readonly secret?: boolean;
  /** Where the setting applies. */
  readonly scope: 'all' | 'local' | 'azure';
}

export const APP_SETTINGS = {
  // --- Storage (landing, rejected, dead letters, checkpoints) -------------------------------------
  AzureWebJobsStorage: {
    description: 'Storage connection string (local: Azurite). In Azure use AzureWebJobsStorage__accountName instead.',
    secret: true,
    scope: 'local',
  },
  AzureWebJobsStorage__accountName: {
    description: 'Storage account name for identity-based connections (blob trigger, checkpoints, our blob clients).',
    scope: 'azure',
  },
  AzureWebJobsStorage__credential: {
    description: "Identity-based connection credential: 'managedidentity' (Functions) or 'workloadidentity' (AKS).",
    scope: 'azure',
  },
  AzureWebJobsStorage__clientId: {
    description: 'Client id of the user-assigned managed identity used for storage.',
    scope: 'azure',
  },
  // --- Event Hubs -----------------------------------------------------------------------------------
  ETL_EVENTHUB: {
    description: 'Event Hubs connection string (local: the emulator). In Azure use ETL_EVENTHUB__fullyQualifiedNamespace.',
    secret: true,
    scope: 'local',
  },
  ETL_EVENTHUB__fullyQualifiedNamespace: {
    description: 'Event Hubs namespace host name, e.g. etl-ns.servicebus.windows.net (identity-based connection).',
    scope: 'azure',
  },
  ETL_EVENTHUB__credential: {
    description: "Identity-based connection credential: 'managedidentity' or 'workloadidentity'.",
    scope: 'azure',
  },
  ETL_EVENTHUB__clientId: {
    description: 'Client id of the user-assigned managed identity used for Event Hubs.',
    scope: 'azure',
  },
  ETL_RECORDS_HUB: { description: 'Event Hub that carries row chunks from extract to transform.', default: 'records', scope: 'all' },
  ETL_AGGREGATES_HUB: {
    description: 'Event Hub that carries partial aggregates from transform to aggregate.',
    default: 'aggregates',
    scope: 'all',
  },
  ETL_TRANSFORM_CONSUMER_GROUP: {
    description: 'Consumer group of the transform function on the records hub.',
    default: 'transform',
    scope: 'all',
  },
  ETL_AGGREGATE_CONSUMER_GROUP: {
    description: 'Consumer group of the aggregate function on the aggregates hub.',
    default: 'aggregate',
    scope: 'all',
  },
  // --- Containers -----------------------------------------------------------------------------------
  ETL_LANDING_CONTAINER: {
    description: 'Container users drop CSV files into: <container>/<dataset>/…/*.csv.',
    default: 'landing',
    scope: 'all',
  },
  ETL_REJECTED_CONTAINER: {
    description: 'Container for rejected rows (NDJSON per file) and the chunk plan of each file.',
    default: 'rejected',
    scope: 'all',
  },
  ETL_DEADLETTER_CONTAINER: { description: 'Container for dead-lettered events.', default: 'deadletters', scope: 'all' },
  // --- SQL ------------------------------------------------------------------------------------------
  ETL_SQL_DRIVER: { description: "SQL adapter: 'sqlite' (local) or 'mssql' (Azure SQL).", default: 'sqlite', scope: 'all' },
  ETL_SQLITE_PATH: { description: 'SQLite database file (local).', default: '.local/etl.sqlite', scope: 'local' },
  ETL_SQL_SERVER: { description: 'Azure SQL server host name, e.g. etl-sql.database.windows.net.', scope: 'azure' },
  ETL_SQL_DATABASE: { description: 'Azure SQL database name.', scope: 'azure' },
  ETL_SQL_AUTH: {
    description: "Azure SQL authentication: 'managed-identity' (Entra, the function's identity) or 'connection-string'.",
    default: 'managed-identity',
    scope: 'all',
  },
  ETL_SQL_CLIENT_ID: { description: 'Client id of the user-assigned managed identity used for Azure SQL.', scope: 'azure' },
  ETL_SQL_CONNECTION_STRING: {
    description: "Azure SQL connection string, when ETL_SQL_AUTH is 'connection-string' (not for production).",
    secret: true,
    scope: 'local',
  },
  ETL_SQL_POOL_MAX: { description: 'Largest SQL connection pool per process.', default: '10', scope: 'all' },
  ETL_SQL_MIGRATE_ON_START: { description: "Run schema migrations when a process starts ('true'/'false').", default: 'true', scope: 'all' },
  // --- Pipeline behaviour ---------------------------------------------------------------------------
  ETL_DATASETS_DIR: {
    description: 'Folder with extra dataset declarations (*.json); the built-in iot_events dataset is always there.',
    scope: 'all',
  },
  ETL_CHUNK_MAX_ROWS: { description: 'Most rows in one chunk event.', default: '2000', scope: 'all' },
  ETL_CHUNK_MAX_BYTES: {
    description: 'Most bytes of rows in one chunk event (the Event Hubs limit is 1 MB).',
    default: '262144',
    scope: 'all',
  },
  ETL_TRANSFORM_TRANSACTION_ROWS: {
    description: 'Most rows transform loads in one SQL transaction (whole chunks of a batch; fewer commits load faster).',
    default: '100000',
    scope: 'all',
  },
  ETL_EXTRACT_STALLED_AFTER_SECONDS: {
    description:
      'A file left extracting with no heartbeat from extract (every 30 s) for this long has lost its landing event: the extract sweep puts it back. Longer than the landing message visibility (10 min in Azure).',
    default: '900',
    scope: 'all',
  },
  ETL_MAX_ATTEMPTS: {
    description:
      'Most attempts of one operation (a load, a merge, an Azure SQL call) before its events go to the dead-letter store; only transient errors are retried.',
    default: '10',
    scope: 'all',
  },
  ETL_RETRY_BASE_MS: { description: 'First retry delay; it doubles per attempt (up to 10 s), with jitter.', default: '200', scope: 'all' },
  ETL_RETRY_BUDGET_MS: {
    description:
      "Time one invocation may spend retrying, the Azure SQL driver's retries included; once a fault outlasts it, the rest of the batch is dead-lettered at once.",
    default: '60000',
    scope: 'all',
  },
  // --- Telemetry ------------------------------------------------------------------------------------
  APPLICATIONINSIGHTS_CONNECTION_STRING: {
    description: 'Application Insights connection string; telemetry starts only when it is set.',
    scope: 'azure',
  },
} as const satisfies Record<string, AppSettingSpec>;

export type AppSettingName = keyof typeof APP_SETTINGS;

/** Every setting name the app reads. */
export const APP_SETTING_NAMES = Object.keys(APP_SETTINGS) as AppSettingName[];

/**
 * Queue the landing container's Event Grid subscription delivers `BlobCreated` events to (locally,
 * the host's landing scanner writes the same events); the `extract` function is triggered by it.
 */
export const LANDING_EVENTS_QUEUE = 'landing-events';

/** Where the Functions queue trigger moves a landing message after its last failed delivery (the host's naming). */
export const LANDING_POISON_QUEUE = `${LANDING_EVENTS_QUEUE}-poison`;

/**
 * Deliveries of one landing message before the host moves it to `landing-events-poison`: host.json's
 * `extensions.queues.maxDequeueCount` (a test checks that the two agree). Extract fails the file on
 * the last one, so that its status says why rather than `extracting` forever.
 */
export const LANDING_MAX_DEQUEUE_COUNT = 5;

/** Container of the Event Hubs checkpoint and ownership blobs (the Functions host's default). */
export const EVENTHUB_CHECKPOINT_CONTAINER = 'azure-webjobs-eventhub';
