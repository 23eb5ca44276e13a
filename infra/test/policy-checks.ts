/**
 * Checks the policy tests share: a scanner for secrets in synthesized output, and taggability of a
 * Terraform resource type read from the provider bindings (the generated class has `tagsInput`
 * exactly when the provider schema has a `tags` argument).
 */
import { createRequire } from 'node:module';
import { APP_SETTINGS, type AppSettingName } from '../../shared/config/app-settings.js';

/** Literal key material as it appears in connection strings, SAS tokens and PEM blocks. */
const SECRET_VALUE_PATTERNS: readonly RegExp[] = [
  /AccountKey=/i,
  /SharedAccessKey=/i,
  /SharedAccessSignature=/i,
  /[?&]sig=/i,
  /Password=/i,
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
];

/** Terraform attributes that hold secrets: keys, passwords, SAS tokens, key-bearing connection strings. */
const SECRET_ATTRIBUTE = /(key|password|secret|sas|connection_string)/;

/**
 * Application Insights' connection string is an identifier, not a credential (Microsoft documents it
 * as non-secret), and the app's settings contract marks APPLICATIONINSIGHTS_CONNECTION_STRING so.
 */
const ALLOWED_SECRET_LOOKING_REFERENCES = new Set(['azurerm_application_insights.connection_string']);

const REFERENCE = /\$\{([a-z0-9_]+)\.[^.}]+\.([a-z0-9_]+)\}/g;

/** Every place in a JSON document that carries or refers to a secret, as readable findings. */
export function findSecretLeaks(document: unknown): string[] {
  const findings: string[] = [];
  visit(document, '$', findings);
  return findings;
}

function visit(value: unknown, path: string, findings: string[]): void {
  if (typeof value === 'string') {
    for (const pattern of SECRET_VALUE_PATTERNS) if (pattern.test(value)) findings.push(`${path}: key material (${pattern.source})`);
    for (const [, type, attribute] of value.matchAll(REFERENCE)) {
      if (SECRET_ATTRIBUTE.test(attribute!) && !ALLOWED_SECRET_LOOKING_REFERENCES.has(`${type}.${attribute}`)) {
        findings.push(`${path}: refers to ${type}.${attribute}`);
      }
    }
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item, index) => visit(item, `${path}[${index}]`, findings));
    return;
  }
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    // A Kubernetes env entry or an app-settings map naming a setting the contract marks secret.
    if (typeof record.name === 'string' && 'value' in record && isSecretSetting(record.name)) {
      findings.push(`${path}: sets secret setting ${record.name}`);
    }
    for (const [key, inner] of Object.entries(record)) {
      if (isSecretSetting(key)) findings.push(`${path}.${key}: sets secret setting ${key}`);
      visit(inner, `${path}.${key}`, findings);
    }
  }
}

function isSecretSetting(name: string): boolean {
  const spec = (APP_SETTINGS as Record<string, { secret?: boolean }>)[name as AppSettingName];
  return spec?.secret === true;
}

const requireFromHere = createRequire(import.meta.url);
const taggableByType = new Map<string, boolean>();

/** True when the azurerm provider schema gives this resource type a `tags` argument. */
export function isTaggableResourceType(terraformType: string): boolean {
  const cached = taggableByType.get(terraformType);
  if (cached !== undefined) return cached;
  // Terraform's own resources (terraform_data) are not Azure resources: nothing to tag.
  if (!terraformType.startsWith('azurerm_')) return false;
  const directory = terraformType.replace(/^azurerm_/, '').replaceAll('_', '-');
  const module = requireFromHere(`@cdktf/provider-azurerm/lib/${directory}/index.js`) as Record<string, unknown>;
  const resourceClass = Object.values(module).find(
    (candidate): candidate is { prototype: object; tfResourceType: string } =>
      typeof candidate === 'function' && (candidate as { tfResourceType?: string }).tfResourceType === terraformType,
  );
  if (!resourceClass) throw new Error(`no provider class for ${terraformType}`);
  const taggable = Object.getOwnPropertyDescriptor(resourceClass.prototype, 'tagsInput') !== undefined;
  taggableByType.set(terraformType, taggable);
  return taggable;
}
