/** What tests of the TLS listener need: a throwaway certificate, and a Python with Azure's SDK. */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TestCertificate {
  certPath: string;
  keyPath: string;
}

/**
 * A self-signed certificate (its own CA) for `localhost` and the given IP addresses, written into
 * `directory` by the `openssl` CLI. Throws with the reason when openssl is missing.
 */
export async function makeSelfSignedCertificate(directory: string, ipAddresses: readonly string[]): Promise<TestCertificate> {
  const certPath = join(directory, 'emulator-cert.pem');
  const keyPath = join(directory, 'emulator-key.pem');
  const names = ['DNS:localhost', ...ipAddresses.map((ip) => `IP:${ip}`)].join(',');
  const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyPath];
  const subject = ['-subj', '/CN=localhost', '-addext', `subjectAltName=${names}`];
  await run('openssl', ['req', '-x509', ...key, '-out', certPath, '-days', '1', ...subject]);
  return { certPath, keyPath };
}

/** Whether `openssl` can be run. */
export async function hasOpenssl(): Promise<boolean> {
  try {
    await run('openssl', ['version']);
    return true;
  } catch {
    return false;
  }
}

export interface PythonWithEventHubs {
  executable: string;
  sdkVersion: string;
}

/**
 * The first Python that can import `azure.eventhub`: `$ETL_PYTHON`, then `python3` on the PATH, then
 * Debian's `/usr/bin/python3` (where `apt-get install python3-azure` puts the SDK, which a pyenv or
 * venv `python3` earlier on the PATH does not see).
 */
export async function findPythonWithEventHubs(): Promise<PythonWithEventHubs | undefined> {
  const candidates = [process.env.ETL_PYTHON, 'python3', '/usr/bin/python3'].filter((candidate): candidate is string => !!candidate);
  for (const executable of candidates) {
    try {
      const { stdout } = await run(executable, ['-c', 'import azure.eventhub; print(azure.eventhub.__version__)']);
      return { executable, sdkVersion: stdout.trim() };
    } catch {
      // not there, or without the package: try the next
    }
  }
  return undefined;
}

/**
 * Whether a missing prerequisite must fail the suite instead of skipping it: in CI (`CI` set) and
 * under `.ci/run`, which exports ETL_REQUIRE_PYTHON_SDK=1 after installing python3-azure.
 */
export function prerequisitesRequired(): boolean {
  const ci = process.env.CI;
  return (ci !== undefined && ci !== '' && ci !== 'false' && ci !== '0') || process.env.ETL_REQUIRE_PYTHON_SDK === '1';
}
