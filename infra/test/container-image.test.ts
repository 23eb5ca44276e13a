/**
 * The Dockerfile's runtime stage against what the pods expect: a numeric non-root user (Kubernetes
 * can only check `runAsNonRoot` against a numeric one) and the host listening on the unprivileged
 * port the manifests probe and scrape.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONTAINER_HTTP_PORT, CONTAINER_USER_ID } from '../src/aks-keda/function-workloads.js';

const dockerfile = readFileSync(join(import.meta.dirname, '..', '..', 'Dockerfile'), 'utf8');
/** The instructions of the last stage (the image that runs), continuation lines joined. */
const runtimeStage = dockerfile
  .replace(/\\\n/g, ' ')
  .split(/^FROM /m)
  .at(-1)!
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line !== '' && !line.startsWith('#'));

describe('the container image', () => {
  it('runs as the numeric non-root user the pods declare', () => {
    const users = runtimeStage.filter((line) => line.startsWith('USER '));
    expect(users.at(-1)).toBe(`USER ${CONTAINER_USER_ID}:${CONTAINER_USER_ID}`);
    expect(CONTAINER_USER_ID).toBeGreaterThan(0);
  });

  it('has the host listen on the unprivileged port the pods expose, probe and scrape', () => {
    const urls = /ASPNETCORE_URLS=(\S+)/.exec(runtimeStage.filter((line) => line.startsWith('ENV ')).join(' '))?.[1];
    expect(urls).toBe(`http://+:${CONTAINER_HTTP_PORT}`);
    expect(CONTAINER_HTTP_PORT).toBeGreaterThanOrEqual(1024);
    expect(runtimeStage).toContain(`EXPOSE ${CONTAINER_HTTP_PORT}`);
  });
});
