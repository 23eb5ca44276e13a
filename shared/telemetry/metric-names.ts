/**
 * The one list of metric names: the pipeline metrics, and the process metrics the project charts.
 * The app records only these pipeline names, the Prometheus endpoint and Application Insights
 * export them under exactly these names, the dashboards in `dashboards/` query them (a test checks
 * it) and the load-test collectors read them from here.
 *
 * Names follow the Prometheus conventions (snake case, unit as suffix, counters end in `_total`),
 * and the same strings become `customMetrics.name` in Application Insights, so one name works in
 * PromQL and in KQL.
 */

export type MetricKind = 'counter' | 'histogram' | 'gauge';

/** What one metric counts or measures (durations also carry it as the name's suffix, `_seconds`). */
export type MetricUnit = 'files' | 'rows' | 'chunks' | 'events' | 'messages' | 'partials' | 'attempts' | 'seconds';

export interface MetricSpec {
  readonly kind: MetricKind;
  readonly unit: MetricUnit;
  /** The `# HELP` text: what is counted, and when. */
  readonly help: string;
  /** Label names, in the order they are rendered. Values must come from a small, fixed set. */
  readonly labels: readonly string[];
  /** Histogram bucket upper bounds, ascending (`+Inf` is implied). */
  readonly buckets?: readonly number[];
}

/** Durations of one batch or one small file: 5 ms to 5 min. */
const BATCH_SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300] as const;
/** Extracting one file streams the whole blob: 10 ms to 30 min. */
const FILE_SECONDS_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800] as const;
/** Events per trigger batch; the host's maxEventBatchSize caps it. */
const BATCH_EVENTS_BUCKETS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000] as const;

export const PIPELINE_METRICS = {
  // --- extract ----------------------------------------------------------------------------------
  etl_files_extracted_total: {
    kind: 'counter',
    unit: 'files',
    help: "Landed files extract finished, by outcome: 'extracted', 'skipped' (already extracted or gone), 'failed' (unknown dataset, wrong header).",
    labels: ['dataset', 'outcome'],
  },
  etl_rows_extracted_total: {
    kind: 'counter',
    unit: 'rows',
    help: 'Data rows read from extracted files (valid + rejected), counted once a file is extracted.',
    labels: ['dataset'],
  },
  etl_rows_valid_total: {
    kind: 'counter',
    unit: 'rows',
    help: 'Rows that passed validation and were sent on in chunk events.',
    labels: ['dataset'],
  },
  etl_rows_rejected_total: {
    kind: 'counter',
    unit: 'rows',
    help: 'Rows that failed parsing or validation, written to the rejected container.',
    labels: ['dataset'],
  },
  etl_files_redelivered_total: {
    kind: 'counter',
    unit: 'files',
    help: 'Files left extracting with no sign of extract, whose landing event the extract sweep put back.',
    labels: ['dataset'],
  },
  etl_chunks_published_total: { kind: 'counter', unit: 'chunks', help: 'Chunk events published to the records hub.', labels: ['dataset'] },
  etl_extract_file_seconds: {
    kind: 'histogram',
    unit: 'seconds',
    help: 'Time to extract one file: stream, validate, publish every chunk.',
    labels: ['dataset'],
    buckets: FILE_SECONDS_BUCKETS,
  },
  // --- transform --------------------------------------------------------------------------------
  etl_chunk_events_processed_total: {
    kind: 'counter',
    unit: 'events',
    help: "Chunk events transform committed, by outcome: 'loaded' (first time) or 'already_applied' (a redelivery the ledger dropped).",
    labels: ['dataset', 'outcome'],
  },
  etl_facts_loaded_total: { kind: 'counter', unit: 'rows', help: 'Rows inserted into the facts table (new keys).', labels: ['dataset'] },
  etl_duplicate_rows_total: {
    kind: 'counter',
    unit: 'rows',
    help: 'Valid rows whose key was already in the facts table: counted, not loaded.',
    labels: ['dataset'],
  },
  etl_transform_batch_seconds: {
    kind: 'histogram',
    unit: 'seconds',
    help: 'Time to transform one trigger batch, retries and the outbox publish included.',
    labels: [],
    buckets: BATCH_SECONDS_BUCKETS,
  },
  etl_outbox_messages_published_total: {
    kind: 'counter',
    unit: 'messages',
    help: 'Partials messages transform published to the aggregates hub right after its commit.',
    labels: [],
  },
  etl_outbox_publish_failures_total: {
    kind: 'counter',
    unit: 'messages',
    help: 'Partials messages whose publish after commit failed; they stay in the outbox for the relay.',
    labels: [],
  },
  etl_outbox_relayed_total: {
    kind: 'counter',
    unit: 'messages',
    help: 'Partials messages the outbox relay published because they were left behind.',
    labels: [],
  },
  // --- aggregate --------------------------------------------------------------------------------
  etl_partials_merged_total: {
    kind: 'counter',
    unit: 'partials',
    help: "Window partials aggregate handled, by outcome: 'applied' (merged into a window row) or 'already_applied' (ledger hit).",
    labels: ['dataset', 'outcome'],
  },
  etl_aggregate_batch_seconds: {
    kind: 'histogram',
    unit: 'seconds',
    help: 'Time to merge one trigger batch of partials events, retries included.',
    labels: [],
    buckets: BATCH_SECONDS_BUCKETS,
  },
  // --- every stage ------------------------------------------------------------------------------
  etl_batch_events: {
    kind: 'histogram',
    unit: 'events',
    help: 'Events per trigger batch, by stage: how full the batches the host delivers are.',
    labels: ['stage'],
    buckets: BATCH_EVENTS_BUCKETS,
  },
  etl_dead_letters_total: {
    kind: 'counter',
    unit: 'events',
    help: 'Events parked in the dead-letter store after their retries, by stage.',
    labels: ['stage'],
  },
  etl_retry_attempts_total: {
    kind: 'counter',
    unit: 'attempts',
    help: 'Retries after a failed attempt (the first attempt not counted), by stage.',
    labels: ['stage'],
  },
  etl_last_batch_timestamp_seconds: {
    kind: 'gauge',
    unit: 'seconds',
    help: 'Unix time at which this process last finished a batch (a file for extract), by stage: a stalled consumer stops moving it.',
    labels: ['stage'],
  },
} as const satisfies Record<string, MetricSpec>;

export type MetricName = keyof typeof PIPELINE_METRICS;

type NamesOfKind<K extends MetricKind> = { [N in MetricName]: (typeof PIPELINE_METRICS)[N]['kind'] extends K ? N : never }[MetricName];
export type CounterName = NamesOfKind<'counter'>;
export type HistogramName = NamesOfKind<'histogram'>;
export type GaugeName = NamesOfKind<'gauge'>;

/** The label values one metric takes: exactly its declared label names. */
export type MetricLabels<N extends MetricName> = { readonly [L in (typeof PIPELINE_METRICS)[N]['labels'][number]]: string };

/** Every metric name, in the list's order. */
export const METRIC_NAMES = Object.keys(PIPELINE_METRICS) as MetricName[];

/** The spec of one metric, widened to MetricSpec for code that walks the list. */
export function metricSpec(name: MetricName): MetricSpec {
  return PIPELINE_METRICS[name];
}

/**
 * prom-client's default process metrics that the Grafana dashboard charts per process (per pod on
 * AKS) and the load-test collectors read. Every process registry serves all of prom-client's
 * defaults; these are the ones the project relies on (a test checks prom-client still serves them).
 */
export const PROCESS_METRIC_NAMES = [
  'process_cpu_seconds_total',
  'process_resident_memory_bytes',
  'nodejs_heap_size_used_bytes',
  'nodejs_heap_size_total_bytes',
  'nodejs_eventloop_lag_p99_seconds',
  'nodejs_gc_duration_seconds',
  'nodejs_version_info',
] as const;

export type ProcessMetricName = (typeof PROCESS_METRIC_NAMES)[number];

/** Values of the `stage` label. */
export type PipelineStage = 'extract' | 'transform' | 'aggregate' | 'relay';
