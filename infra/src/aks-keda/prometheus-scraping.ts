/**
 * Managed Prometheus (the `ama-metrics` add-on) scrapes only its default targets. These two
 * ConfigMaps in kube-system turn on annotation-based scraping for the app's namespace (each pod's
 * `/api/metrics`), keep the kube-state series the Grafana dashboard charts, and add a job for the
 * KEDA operator's own metrics (`keda_scaler_metrics_value`, port 8080).
 */
import { ConfigMap } from 'kubernetes-models/v1';

export function amaMetricsSettingsManifest(namespace: string): ConfigMap {
  return new ConfigMap({
    metadata: { name: 'ama-metrics-settings-configmap', namespace: 'kube-system' },
    data: {
      'schema-version': 'v1',
      'config-version': 'ver1',
      'pod-annotation-based-scraping': `podannotationnamespaceregex = "${namespace}"`,
      'default-targets-metrics-keep-list': 'kubestate = "kube_deployment_status_replicas|kube_deployment_spec_replicas"',
    },
  });
}

export function kedaScrapeConfigManifest(): ConfigMap {
  const scrapeConfig = [
    'scrape_configs:',
    '  - job_name: keda-operator',
    '    kubernetes_sd_configs:',
    '      - role: pod',
    '        namespaces: { names: [kube-system] }',
    '    relabel_configs:',
    '      - source_labels: [__meta_kubernetes_pod_label_app]',
    '        action: keep',
    '        regex: keda-operator',
    '      - source_labels: [__address__]',
    '        action: replace',
    '        regex: ([^:]+)(?::\\d+)?',
    '        replacement: $1:8080',
    '        target_label: __address__',
  ].join('\n');
  return new ConfigMap({
    metadata: { name: 'ama-metrics-prometheus-config', namespace: 'kube-system' },
    data: { 'prometheus-config': scrapeConfig },
  });
}
