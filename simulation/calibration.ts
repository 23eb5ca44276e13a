/**
 * Every input of the scaling simulation, each with where it comes from: a measurement on this
 * machine (with the command, and the page of docs/ that holds the figures), the project's own
 * configuration (read from the code, not copied), a public document (its URL), or an assumption
 * (why, and the measurement on Azure that would replace it). `npm run simulate -- --inputs` prints
 * them; docs/scaling-study.md discusses the ones the conclusions depend on.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { APP_SETTINGS } from '../shared/config/app-settings.js';
import { IOT_DEVICE_TYPES } from '../shared/datasets/iot-events.js';
import { parseHostJson } from '../local/host/host-json.js';
import { FUNCTIONS_SCALING_DEFAULTS } from '../local/scaler/functions-target-scaling.js';
import { DEFAULT_PARAMETERS } from '../infra/src/parameters.js';

export type InputSource =
  /** Measured here: the command, and the section of docs/ with the figures and their spread. */
  | { readonly kind: 'measured'; readonly command: string; readonly doc: string }
  /** The project's own configuration, read from this file when the simulation loads. */
  | { readonly kind: 'code'; readonly path: string }
  /** A public page. */
  | { readonly kind: 'documented'; readonly url: string }
  /** Nobody has measured it: why this value, and what would replace it. */
  | { readonly kind: 'assumption'; readonly why: string; readonly replaceBy: string };

export interface CalibratedInput {
  readonly value: number;
  readonly unit: string;
  readonly what: string;
  readonly source: InputSource;
}

/** The app's host.json as written (the platforms read the Functions target from it, as Azure does). */
export const APP_HOST_JSON: Readonly<Record<string, unknown>> = JSON.parse(
  readFileSync(join(import.meta.dirname, '..', 'host.json'), 'utf8'),
) as Record<string, unknown>;
const HOST_JSON = parseHostJson(APP_HOST_JSON);
const EVENT_HUBS_HOST = HOST_JSON.extensions.eventHubs;

const measured = (command: string, doc: string): InputSource => ({ kind: 'measured', command, doc });
const code = (path: string): InputSource => ({ kind: 'code', path });
const documented = (url: string): InputSource => ({ kind: 'documented', url });
const assumption = (why: string, replaceBy: string): InputSource => ({ kind: 'assumption', why, replaceBy });
const input = (value: number, unit: string, what: string, source: InputSource): CalibratedInput => ({ value, unit, what, source });

const BENCH = 'npm run bench';
const FOURTH = 'docs/benchmarks.md#where-the-cpu-goes';
const FLOOR = 'docs/benchmarks.md#the-floor';
const STARTS = 'npx tsx simulation/measure-local-scaling.ts';
const STUDY_INPUTS = 'docs/scaling-study.md#inputs-measured-here';
const LOAD_TEST_AZURE =
  'npm run load-test -- --status-url https://<app>.azurewebsites.net/api (docs/scaling-study.md#what-to-measure-on-azure)';

/** Work per row on this machine's cores (µs of one core), from the end-to-end bench's CPU per process. */
export const WORK_PER_ROW = {
  extract: input(4.1, 'µs/row', 'extract process: parse, validate, encode, publish (3.8–4.4 CPU-s per 1M rows)', measured(BENCH, FOURTH)),
  transform: input(
    4.45,
    'µs/row',
    'transform process without its SQLite load: event JSON, typing, facts, partials (8.6–9.4 CPU-s per 1M rows less the load)',
    measured(BENCH, FOURTH),
  ),
  sqliteLoad: input(
    3.25,
    'µs/row',
    "SQLite inserts of the facts (local only): the floor's load (4.5–4.6 µs per row in 100,000-row transactions) less its commits",
    measured(`${BENCH} -- --stages floor --extract-mb 0`, FLOOR),
  ),
  sqliteCommitSeconds: input(
    0.13,
    'CPU-s',
    'one SQLite commit (local only): it writes every index page the transaction dirtied, which random keys spread over the whole index, so it costs about the same at any size (1.3 µs per fact at 100,000 rows)',
    measured(BENCH, 'docs/benchmarks.md#where-the-cpu-goes'),
  ),
  mssqlClient: input(
    1,
    'µs/row',
    'client side of the Azure SQL load (TVP rows through mssql/tedious), in place of the SQLite load',
    assumption(
      'the TDS encoding of a row costs about what the event JSON encode does here (0.6 µs) plus the driver',
      `a transform instance's CPU per row with ${LOAD_TEST_AZURE} and the workbook`,
    ),
  ),
  aggregate: input(
    1.1,
    'µs/row',
    'aggregate process per fact row: partial messages merged into window rows (0.8–1.4 CPU-s per 1M rows)',
    measured(BENCH, FOURTH),
  ),
  uploadClient: input(
    0.35,
    'µs/row',
    "the uploader's own CPU (local only; the floor's upload less Azurite's part)",
    measured(`${BENCH} -- --stages floor --extract-mb 0`, FLOOR),
  ),
  generator: input(
    1.0,
    'µs/row',
    'generating the IoT CSV the calibrated commands upload (local only)',
    measured('npx tsx load-tests/core-bench.ts --rows 1000000', STUDY_INPUTS),
  ),
  azuriteUpload: input(
    0.6,
    'µs/row',
    'Azurite storing an upload (local only)',
    measured(`${BENCH} -- --stages floor --extract-mb 0`, FLOOR),
  ),
  azuriteDownload: input(
    0.15,
    'µs/row',
    "Azurite serving extract's download (local only)",
    measured(`${BENCH} -- --stages floor --extract-mb 0`, FLOOR),
  ),
  azuriteCheckpoints: input(
    1.15,
    'µs/row',
    "Azurite's other work, checkpoints and queue polls, per settled row (1.7–2.1 CPU-s per 1M rows in all, local only)",
    measured(BENCH, FOURTH),
  ),
  emulatorIn: input(
    1.0,
    'µs/row',
    'the Event Hubs emulator taking chunk events in (half its 1.8–2.3 CPU-s per 1M rows; local only)',
    measured(BENCH, FOURTH),
  ),
  emulatorOut: input(1.05, 'µs/row', 'the emulator serving them to transform (the other half; local only)', measured(BENCH, FOURTH)),
  frontHost: input(
    0.35,
    'µs/row',
    'the front host: outbox relay, landing scanner, status (0.7 CPU-s per 1M rows with the upload client; local only)',
    measured(BENCH, FOURTH),
  ),
  azureCoreSpeed: input(
    1,
    '× this machine',
    'how much work an Azure vCPU does in a second, relative to a core here',
    assumption(
      'Flex and Dsv5 vCPUs are current server cores, like this VM’s',
      `rows/s of one transform instance on Azure with ${LOAD_TEST_AZURE}`,
    ),
  ),
} as const;

/** Sizes of the data as it moves. */
export const DATA = {
  csvBytesPerRow: input(
    119,
    'bytes',
    'CSV bytes per row of the generated IoT file (119 MB per 1M rows)',
    measured(BENCH, 'docs/benchmarks.md#the-pipeline--npm-run-bench'),
  ),
  eventBytesPerRow: input(120, 'bytes', 'chunk-event bytes per row (~120 MB of chunk events per 1M rows)', measured(BENCH, FOURTH)),
  validFraction: input(
    0.99,
    'of rows',
    'rows that pass validation (the generator makes 1 % bad rows)',
    code('local/sample-data/iot-csv-generator.ts'),
  ),
  partialMessagesPerTransaction: input(
    IOT_DEVICE_TYPES.length,
    'messages',
    'partial-aggregate messages per transform transaction: one per dimension key (the IoT device types)',
    code('shared/datasets/iot-events.ts'),
  ),
} as const;

/** How the app moves rows: chunking, batching, transactions, polling. */
export const PIPELINE = {
  chunkRows: input(
    Number(APP_SETTINGS.ETL_CHUNK_MAX_ROWS.default),
    'rows',
    'rows per chunk event (ETL_CHUNK_MAX_ROWS)',
    code('shared/config/app-settings.ts'),
  ),
  transactionRows: input(
    Number(APP_SETTINGS.ETL_TRANSFORM_TRANSACTION_ROWS.default),
    'rows',
    'most rows per transform SQL transaction (ETL_TRANSFORM_TRANSACTION_ROWS)',
    code('shared/config/app-settings.ts'),
  ),
  maxEventBatchSize: input(
    EVENT_HUBS_HOST.maxEventBatchSize,
    'events',
    'events per batch at most (host.json maxEventBatchSize)',
    code('host.json'),
  ),
  minEventBatchSize: input(
    EVENT_HUBS_HOST.minEventBatchSize,
    'events',
    'events a batch waits for (host.json minEventBatchSize)',
    code('host.json'),
  ),
  maxWaitSeconds: input(
    EVENT_HUBS_HOST.maxWaitTime / 1000,
    's',
    'longest wait for a short batch (host.json maxWaitTime)',
    code('host.json'),
  ),
  prefetchEvents: input(
    EVENT_HUBS_HOST.prefetchCount,
    'events',
    'events read ahead per partition (host.json prefetchCount)',
    code('host.json'),
  ),
  queuePollSeconds: input(
    HOST_JSON.extensions.queues.maxPollingInterval / 1000,
    's',
    'longest landing-queue poll interval (host.json maxPollingInterval)',
    code('host.json'),
  ),
  queueBatchSize: input(
    FUNCTIONS_SCALING_DEFAULTS.queueBatchSize,
    'messages',
    'landing messages an instance takes at once on Azure (queues.batchSize default)',
    documented('https://learn.microsoft.com/azure/azure-functions/functions-bindings-storage-queue#host-json'),
  ),
  publishAheadSegments: input(
    1,
    'segments',
    'how far extract publishes behind its parsing (8 publishes in flight are about one round of chunks over the partitions)',
    code('shared/handlers/extract-handler.ts'),
  ),
} as const;

/** Event Hubs: partitions and throughput per unit. */
export const EVENT_HUBS = {
  recordsPartitions: input(
    DEFAULT_PARAMETERS.eventHubs.recordsPartitions,
    'partitions',
    'records hub partitions (infra default)',
    code('infra/src/parameters.ts'),
  ),
  aggregatesPartitions: input(
    DEFAULT_PARAMETERS.eventHubs.aggregatesPartitions,
    'partitions',
    'aggregates hub partitions (infra default)',
    code('infra/src/parameters.ts'),
  ),
  capacityUnits: input(
    DEFAULT_PARAMETERS.eventHubs.capacity,
    'TU or PU',
    'throughput units (Standard) or processing units (Premium) of the namespace (infra default)',
    code('infra/src/parameters.ts'),
  ),
  standardIngressMBps: input(
    1,
    'MB/s per TU',
    'Standard ingress per throughput unit (or 1,000 events/s)',
    documented('https://learn.microsoft.com/azure/event-hubs/event-hubs-scalability#throughput-units'),
  ),
  standardIngressEvents: input(
    1000,
    'events/s per TU',
    'Standard ingress events per throughput unit',
    documented('https://learn.microsoft.com/azure/event-hubs/event-hubs-scalability#throughput-units'),
  ),
  standardEgressMBps: input(
    2,
    'MB/s per TU',
    'Standard egress per throughput unit (or 4,096 events/s)',
    documented('https://learn.microsoft.com/azure/event-hubs/event-hubs-scalability#throughput-units'),
  ),
  standardEgressEvents: input(
    4096,
    'events/s per TU',
    'Standard egress events per throughput unit',
    documented('https://learn.microsoft.com/azure/event-hubs/event-hubs-scalability#throughput-units'),
  ),
  premiumIngressMBps: input(
    5,
    'MB/s per PU',
    'Premium ingress per processing unit (not a quota: Premium has no fixed per-PU limit)',
    assumption(
      'the low end of the range Microsoft gives for one PU',
      'IncomingBytes and ThrottledRequests of a Premium namespace under the burst profile',
    ),
  ),
  premiumEgressMBps: input(
    10,
    'MB/s per PU',
    'Premium egress per processing unit',
    assumption('twice the ingress, as for Standard', 'OutgoingBytes of a Premium namespace under the burst profile'),
  ),
  maxStandardPartitions: input(
    32,
    'partitions',
    'most partitions of a Standard hub (fixed at creation)',
    documented('https://learn.microsoft.com/azure/event-hubs/event-hubs-quotas'),
  ),
  maxStandardUnits: input(
    40,
    'TU',
    'most throughput units of a Standard namespace (20 without a support request)',
    documented('https://learn.microsoft.com/azure/event-hubs/event-hubs-quotas'),
  ),
} as const;

/** Azure SQL: write capacity from vCores. */
export const SQL = {
  vCores: input(1, 'vCores', 'vCores of the database (infra default GP_S_Gen5_1)', code('infra/src/parameters.ts')),
  logRateMBpsPerVcore: input(
    4.5,
    'MB/s per vCore',
    'log rate of General Purpose serverless (4.5 MB/s at 1 vCore, 9 at 2, 18 at 4, 36 at 8)',
    documented('https://learn.microsoft.com/azure/azure-sql/database/resource-limits-vcore-single-databases'),
  ),
  maxLogRateMBps: input(
    50,
    'MB/s',
    'highest log rate of a General Purpose database',
    documented('https://learn.microsoft.com/azure/azure-sql/database/resource-limits-vcore-single-databases'),
  ),
  logBytesPerRow: input(
    300,
    'bytes',
    'transaction log per loaded fact: the row (~110 bytes), its key index and the reporting index, with log record headers',
    assumption(
      'about 2.5× the row, for a clustered key and one covering index',
      'log_write_percent and rows/s in sys.dm_db_resource_stats during a burst load',
    ),
  ),
  rowsPerSecondPerSession: input(
    50_000,
    'rows/s',
    'most one transform transaction (one session) inserts per second, however idle the database',
    assumption(
      'TVP inserts of 100,000 rows run at tens of thousands of rows/s per session on Gen5',
      'the duration of one transform transaction (ETL_TRANSFORM_TRANSACTION_ROWS) in the workbook, with one instance running',
    ),
  ),
  aggregateRowsPerFactRow: input(
    0.03,
    'rows per fact',
    'window rows the aggregate upserts per fact loaded (partials of 5 device types over the windows a transaction spans)',
    assumption(
      'a 100,000-row transaction spans a few hundred 1-minute windows per device type',
      'etl_window_rows_merged_total against etl_rows_loaded_total on Azure',
    ),
  ),
} as const;

/** Flex Consumption. */
export const FLEX = {
  instanceMemoryMb: input(
    DEFAULT_PARAMETERS.functions.instanceMemoryMb,
    'MB',
    'instance memory (infra default)',
    code('infra/src/parameters.ts'),
  ),
  maximumInstanceCount: input(
    DEFAULT_PARAMETERS.functions.maximumInstanceCount,
    'instances',
    'the app’s maximum instance count (infra default)',
    code('infra/src/parameters.ts'),
  ),
  alwaysReady: input(
    0,
    'instances',
    'always-ready instances per function (default 0)',
    documented('https://learn.microsoft.com/azure/azure-functions/flex-consumption-plan#always-ready-instances'),
  ),
  coresPer2048Mb: input(
    1,
    'vCPU',
    'cores of a 2,048 MB instance (512 MB: 0.25, 4,096 MB: 2)',
    documented('https://learn.microsoft.com/azure/azure-functions/flex-consumption-plan#instance-memory'),
  ),
  coldStartSeconds: input(
    5,
    's',
    'from the scale decision to a new instance taking events',
    assumption(
      'one public lab measured 1.7–1.8 s for scale-out instances and ~30 s for the first request after full idle (https://yeongseon.github.io/azure-functions-practical-guide/troubleshooting/lab-guides/cold-start); an event-triggered instance also starts its listeners and claims partitions',
      `the first lag → first new instance times of ${LOAD_TEST_AZURE} with the workbook's instance count`,
    ),
  ),
  decisionSeconds: input(
    1,
    's',
    'how often the scale controller decides, per function',
    assumption(
      'not published; Flex markets scaling within seconds',
      'the spacing of FunctionScaleVote lines in the scale controller logs (Application Insights)',
    ),
  ),
  eventGridSeconds: input(
    1,
    's',
    'from the blob committed to its BlobCreated message on the landing-events queue',
    assumption(
      'Event Grid delivers within about a second in normal operation',
      'the received − uploaded time of each file in the load-test report on Azure',
    ),
  ),
  partitionClaimSeconds: input(
    2,
    's',
    'from a new instance starting its processor to it owning its share of partitions',
    documented(
      'https://learn.microsoft.com/dotnet/api/azure.messaging.eventhubs.processor.loadbalancingstrategy (Greedy: claims without waiting for the next cycle)',
    ),
  ),
  loadBalancingSeconds: input(
    10,
    's',
    "the processor's load-balancing cycle: partitions a stopped instance released wait up to this long",
    documented(
      'https://learn.microsoft.com/dotnet/api/azure.messaging.eventhubs.primitives.eventprocessoroptions.loadbalancingupdateinterval',
    ),
  ),
} as const;

/** AKS with KEDA. */
export const AKS = {
  nodeVcpus: input(4, 'vCPU', 'Standard_D4ds_v5 (infra default node size)', code('infra/src/parameters.ts')),
  nodeAllocatableVcpus: input(
    3.5,
    'vCPU',
    'vCPU of a node left for the app’s pods after system pods and reservations',
    assumption(
      'AKS reserves ~0.1 vCPU on a 4-vCPU node; kube-system and monitoring daemons take a few hundred millicores more',
      'kubectl describe node: Allocatable less the kube-system requests',
    ),
  ),
  podVcpus: input(1, 'vCPU', 'CPU request of a 2,048 MB function pod (infra)', code('infra/src/aks-keda/aks-keda-stack.ts')),
  nodeMin: input(DEFAULT_PARAMETERS.aks.nodeMinCount, 'nodes', 'fewest nodes (infra default)', code('infra/src/parameters.ts')),
  nodeMax: input(DEFAULT_PARAMETERS.aks.nodeMaxCount, 'nodes', 'most nodes (infra default)', code('infra/src/parameters.ts')),
  nodeProvisionSeconds: input(
    150,
    's',
    'from the cluster autoscaler asking for a node to the node being Ready',
    assumption(
      'a VM scale-set instance boots and joins in 2–3 minutes',
      'the time between TriggeredScaleUp and NodeReady events (kubectl get events) in a burst',
    ),
  ),
  imagePullSeconds: input(
    30,
    's',
    'pulling the function image onto a node that does not have it yet',
    assumption(
      'a ~500 MB Functions Node image from ACR in the same region',
      'the Pulled event of a pod on a new node ("Successfully pulled image … in …")',
    ),
  ),
  containerStartSeconds: input(
    8,
    's',
    'from a pod scheduled on a node with the image to its Functions host taking events',
    assumption(
      'the Functions host starts in a few seconds; its listeners and partition claims add a few more',
      'pod Started → first invocation log of that pod',
    ),
  ),
  autoscalerScanSeconds: input(
    10,
    's',
    'cluster autoscaler scan interval (default)',
    documented('https://learn.microsoft.com/azure/aks/cluster-autoscaler#cluster-autoscaler-profile-settings'),
  ),
  scaleDownUnneededSeconds: input(
    600,
    's',
    'a node unneeded this long is removed (default 10 min)',
    documented('https://learn.microsoft.com/azure/aks/cluster-autoscaler#cluster-autoscaler-profile-settings'),
  ),
  scaleDownDelayAfterAddSeconds: input(
    600,
    's',
    'no scale-down for this long after a scale-up (default 10 min)',
    documented('https://learn.microsoft.com/azure/aks/cluster-autoscaler#cluster-autoscaler-profile-settings'),
  ),
  hpaSyncSeconds: input(
    15,
    's',
    'HPA sync period (kube-controller-manager default)',
    documented(
      'https://kubernetes.io/docs/concepts/workloads/autoscaling/horizontal-pod-autoscale/#how-does-a-horizontalpodautoscaler-work',
    ),
  ),
  kedaPollingSeconds: input(
    DEFAULT_PARAMETERS.keda.pollingIntervalSeconds,
    's',
    'KEDA pollingInterval (infra; KEDA default 30)',
    code('infra/src/parameters.ts'),
  ),
  kedaCooldownSeconds: input(
    DEFAULT_PARAMETERS.keda.cooldownPeriodSeconds,
    's',
    'KEDA cooldownPeriod before 1 → 0 (infra)',
    code('infra/src/parameters.ts'),
  ),
  kedaMinReplicas: input(DEFAULT_PARAMETERS.keda.minReplicas, 'pods', 'minReplicaCount (infra)', code('infra/src/parameters.ts')),
  unprocessedEventThreshold: input(
    DEFAULT_PARAMETERS.keda.unprocessedEventThreshold,
    'events',
    'azure-eventhub unprocessedEventThreshold (infra; KEDA default 64)',
    code('infra/src/parameters.ts'),
  ),
  queueLength: input(
    DEFAULT_PARAMETERS.keda.queueLength,
    'messages',
    'azure-queue queueLength for extract (infra; KEDA default 5)',
    code('infra/src/parameters.ts'),
  ),
  extractMaxReplicas: input(
    DEFAULT_PARAMETERS.keda.extractMaxReplicas,
    'pods',
    'most extract pods (infra)',
    code('infra/src/parameters.ts'),
  ),
  scaleDownStabilizationSeconds: input(
    DEFAULT_PARAMETERS.keda.scaleDownStabilizationSeconds,
    's',
    'HPA scale-down stabilization window (infra; Kubernetes default 300)',
    code('infra/src/parameters.ts'),
  ),
} as const;

/** Prices: parameters, to be replaced by the region's list or negotiated prices. */
export const PRICES = {
  flexOnDemandGbSecond: input(
    0.000026,
    'USD per GB-s',
    'Flex on-demand execution time',
    documented('https://azure.microsoft.com/pricing/details/functions/'),
  ),
  flexExecutionsPerMillion: input(
    0.4,
    'USD per million',
    'Flex on-demand executions',
    documented('https://azure.microsoft.com/pricing/details/functions/'),
  ),
  flexAlwaysReadyBaselineGbSecond: input(
    0.000004,
    'USD per GB-s',
    'Flex always-ready baseline (every second an always-ready instance exists)',
    documented('https://azure.microsoft.com/pricing/details/functions/'),
  ),
  flexAlwaysReadyExecutionGbSecond: input(
    0.000016,
    'USD per GB-s',
    'Flex always-ready execution time',
    documented('https://azure.microsoft.com/pricing/details/functions/'),
  ),
  aksNodeHour: input(
    0.226,
    'USD per hour',
    'Standard_D4ds_v5 Linux pay-as-you-go node (East US list price)',
    documented('https://azure.microsoft.com/pricing/details/virtual-machines/linux/'),
  ),
  aksControlPlaneHour: input(
    0,
    'USD per hour',
    'AKS Free tier control plane (Standard tier: 0.10)',
    documented('https://azure.microsoft.com/pricing/details/kubernetes-service/'),
  ),
  eventHubsUnitHour: input(
    0.03,
    'USD per TU-hour',
    'Event Hubs Standard throughput unit',
    documented('https://azure.microsoft.com/pricing/details/event-hubs/'),
  ),
  eventHubsIngressPerMillion: input(
    0.028,
    'USD per million events',
    'Event Hubs Standard ingress events',
    documented('https://azure.microsoft.com/pricing/details/event-hubs/'),
  ),
  sqlVcoreSecond: input(
    0.000145,
    'USD per vCore-s',
    'Azure SQL General Purpose serverless compute',
    documented('https://azure.microsoft.com/pricing/details/azure-sql-database/single/'),
  ),
} as const;

/** This machine as the local stack runs on it: the platform the calibration runs simulate. */
export const LOCAL_MACHINE = {
  cores: input(
    2,
    'cores',
    'cores of this machine, shared by every process of the stack',
    measured('nproc', 'docs/benchmarks.md#benchmarks'),
  ),
  partitions: input(
    4,
    'partitions',
    'partitions of each hub in the local stack (npm start and the calibrated commands)',
    code('local/cli/local-stack.ts'),
  ),
  hostStartCpuSeconds: input(
    1.6,
    'CPU-s',
    'CPU a scaled-out host process (and its esbuild child) spends until it is ready: tsx loading the app, clients, listeners',
    measured(STARTS, STUDY_INPUTS),
  ),
  hostStartIdleSeconds: input(
    0.3,
    's',
    'what a host start waits for besides CPU (connections to Azurite and the emulator, the first claims)',
    assumption('a few round trips on loopback', `readySeconds less cpuSeconds of ${STARTS} on a quiet machine`),
  ),
  scalerPollCpuSeconds: input(
    0.01,
    'CPU-s',
    "one scaler poll's CPU in the front process (partition properties and checkpoints of both hubs)",
    measured(STARTS, STUDY_INPUTS),
  ),
  scalerPollServiceCpuSeconds: input(
    0.02,
    'CPU-s',
    'what one poll costs the emulator and Azurite together (8 partition-property requests, 2 checkpoint listings)',
    assumption(
      'twice the poll’s own CPU: each request costs its server about what it costs the client',
      `the emulator's and Azurite's CPU over a ${STARTS} run of many polls`,
    ),
  ),
  landingScanSeconds: input(0.5, 's', 'landing scanner interval (local stand-in for Event Grid)', code('local/cli/local-stack.ts')),
  loadBalancingSeconds: input(
    10,
    's',
    'the JavaScript SDK processor’s load-balancing cycle (greedy)',
    code('local/host/listeners/event-hub-listener.ts'),
  ),
  localQueueBatchSize: input(
    HOST_JSON.extensions.queues.batchSize,
    'messages',
    'landing messages the local host takes at once',
    code('local/host/host-json.ts'),
  ),
} as const;

export const CALIBRATION = { WORK_PER_ROW, DATA, PIPELINE, EVENT_HUBS, SQL, FLEX, AKS, PRICES, LOCAL_MACHINE } as const;
export type Calibration = typeof CALIBRATION;
export type CalibrationGroup = keyof Calibration;

/** The numbers alone, for the model: `inputs.SQL.vCores` and so on. */
export type SimulationInputs = { readonly [G in CalibrationGroup]: { readonly [K in keyof Calibration[G]]: number } };

export function calibratedValues(): SimulationInputs {
  return Object.fromEntries(
    Object.entries(CALIBRATION).map(([group, inputs]) => [
      group,
      Object.fromEntries(Object.entries(inputs).map(([name, entry]) => [name, (entry as CalibratedInput).value])),
    ]),
  ) as unknown as SimulationInputs;
}

/** `GROUP.name` of every input, for options such as `--set SQL.vCores=4` and the sensitivity runs. */
export function inputPaths(): string[] {
  return Object.entries(CALIBRATION).flatMap(([group, inputs]) => Object.keys(inputs).map((name) => `${group}.${name}`));
}

/** `inputs` with one value replaced (a copy). */
export function withInput(inputs: SimulationInputs, path: string, value: number): SimulationInputs {
  const [group, name] = path.split('.') as [CalibrationGroup, string];
  const groupValues = inputs[group] as Record<string, number> | undefined;
  if (groupValues === undefined || !(name in groupValues))
    throw new Error(`no simulation input '${path}' (see npm run simulate -- --inputs)`);
  if (!Number.isFinite(value)) throw new Error(`${path} must be a number, got ${value}`);
  return { ...inputs, [group]: { ...groupValues, [name]: value } };
}

export function inputOf(path: string): CalibratedInput {
  const [group, name] = path.split('.') as [CalibrationGroup, string];
  const entry = (CALIBRATION[group] as Record<string, CalibratedInput> | undefined)?.[name];
  if (entry === undefined) throw new Error(`no simulation input '${path}'`);
  return entry;
}
