import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A client certificate with its key and the SHA-256 fingerprint devices are registered by. */
export interface ClientCertificate {
  cert: string;
  key: string;
  /** Lowercase hex without colons, as `credentialKey.x509` expects. */
  fingerprint: string;
}

/** PEMs of the TLS test matrix (hardening §3.3, after mosquitto's test/ssl/gen.sh). */
export interface TestCertificates {
  /** The CA the gateway trusts for client certificates; it also signed the server certificate. */
  ca: string;
  /** For 127.0.0.1 and localhost. */
  server: { cert: string; key: string };
  /** Valid, signed by {@link ca}, subject CN `device-1`. */
  client: ClientCertificate;
  /** Signed by an unrelated CA. */
  otherCa: ClientCertificate;
  /** Signed by a CA with the same subject DN as {@link ca} but another key. */
  fakeCa: ClientCertificate;
  /** Signed by {@link ca}, valid only in January 2020. */
  expired: ClientCertificate;
  /** Signed by {@link ca}, valid, and listed in {@link crl}. */
  revoked: ClientCertificate;
  /** Certificate revocation list of {@link ca}, PEM. */
  crl: string;
  /** Issues another valid client certificate (fresh key, so a fresh fingerprint) with subject CN `cn`. */
  issue(cn: string): Promise<ClientCertificate>;
  cleanup(): Promise<void>;
}

const CA_SUBJECT = '/O=Flotilla Test/CN=Flotilla Test CA';

// Leaves carry no authorityKeyIdentifier on purpose: the verifier then finds the issuer by its name
// alone, so only the signature check tells the fake CA from the real one.
const CONFIG = `
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[ca_ext]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[server_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1,DNS:localhost
[client_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
[ca]
default_ca = test_ca
[test_ca]
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha256
policy = any
unique_subject = no
[any]
commonName = supplied
`;

/** Generates the matrix with the `openssl` command (OpenSSL 3) in a temporary folder. */
export async function createTestCertificates(): Promise<TestCertificates> {
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-tls-'));
  const openssl = (...args: string[]) => run('openssl', args, { cwd: dir });
  const read = (file: string) => readFile(join(dir, file), 'utf8');
  await writeFile(join(dir, 'openssl.cnf'), CONFIG);
  await writeFile(join(dir, 'index.txt'), '');
  await writeFile(join(dir, 'serial'), '1000\n');
  let serial = 0x2000;

  const newKey = (name: string) => openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${name}.key`);
  const newCa = async (name: string, subject: string) => {
    await newKey(name);
    await openssl('req', '-new', '-x509', '-config', 'openssl.cnf', '-key', `${name}.key`, '-subj', subject, '-days', '2', '-extensions', 'ca_ext', '-out', `${name}.crt`);
  };
  const csr = async (name: string, cn: string) => {
    await newKey(name);
    await openssl('req', '-new', '-config', 'openssl.cnf', '-key', `${name}.key`, '-subj', `/CN=${cn}`, '-out', `${name}.csr`);
  };
  const sign = (name: string, ca: string, extensions: string) =>
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-set_serial', String(serial++), '-days', '1', '-sha256', '-extfile', 'openssl.cnf', '-extensions', extensions, '-out', `${name}.crt`);
  const fingerprint = async (name: string) => {
    const { stdout } = await openssl('x509', '-in', `${name}.crt`, '-noout', '-fingerprint', '-sha256');
    return stdout.slice(stdout.indexOf('=') + 1).trim().replace(/:/g, '').toLowerCase();
  };
  const client = async (name: string): Promise<ClientCertificate> => ({ cert: await read(`${name}.crt`), key: await read(`${name}.key`), fingerprint: await fingerprint(name) });
  const signedClient = async (name: string, cn: string, ca: string) => {
    await csr(name, cn);
    await sign(name, ca, 'client_ext');
    return client(name);
  };

  await newCa('ca', CA_SUBJECT);
  await newCa('other-ca', '/O=Other Test/CN=Other Test CA');
  await newCa('fake-ca', CA_SUBJECT);
  await csr('server', 'localhost');
  await sign('server', 'ca', 'server_ext');
  // `openssl x509` of OpenSSL 3.0 cannot backdate (-not_before came in 3.4); `openssl ca` can.
  await csr('expired', 'device-expired');
  await openssl('ca', '-batch', '-config', 'openssl.cnf', '-cert', 'ca.crt', '-keyfile', 'ca.key', '-in', 'expired.csr', '-out', 'expired.crt', '-notext', '-startdate', '20200101000000Z', '-enddate', '20200201000000Z', '-extfile', 'openssl.cnf', '-extensions', 'client_ext');
  // A certificate issued through the CA's database can be revoked there, and the CRL generated from it.
  await csr('revoked', 'device-revoked');
  await openssl('ca', '-batch', '-config', 'openssl.cnf', '-cert', 'ca.crt', '-keyfile', 'ca.key', '-in', 'revoked.csr', '-out', 'revoked.crt', '-notext', '-days', '1', '-extfile', 'openssl.cnf', '-extensions', 'client_ext');
  await openssl('ca', '-config', 'openssl.cnf', '-cert', 'ca.crt', '-keyfile', 'ca.key', '-revoke', 'revoked.crt');
  await openssl('ca', '-config', 'openssl.cnf', '-cert', 'ca.crt', '-keyfile', 'ca.key', '-gencrl', '-crldays', '2', '-out', 'crl.pem');
  let issued = 0;
  return {
    ca: await read('ca.crt'),
    server: { cert: await read('server.crt'), key: await read('server.key') },
    client: await signedClient('client', 'device-1', 'ca'),
    otherCa: await signedClient('other', 'device-1', 'other-ca'),
    fakeCa: await signedClient('fake', 'device-1', 'fake-ca'),
    expired: await client('expired'),
    revoked: await client('revoked'),
    crl: await read('crl.pem'),
    issue: (cn) => signedClient(`issued-${issued++}`, cn, 'ca'),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}
