/**
 * Key names that hold credentials, decided by the name's tokens rather than by substrings:
 * `aws_secret_access_key`, `X-Authorization`, `Ocp-Apim-Subscription-Key`, `signingKey`, `pw` and
 * `cvv` are credentials; `idempotency_key`, `cache_key`, `keyId`, `password_changed_at` and
 * `monkey` are not. A name is split at separators (`-_. []/:`), case changes (camelCase,
 * `APIKey`), lowercased, trailing digits dropped (`password2`, `cvv2`).
 *
 *   1. Known-safe names (ALLOW, after removing separators) are never credentials.
 *   2. A name ending in a metadata word (`_at`, `_expires`, `_type`, `_length`, `_id` ...) is data
 *      about a credential, not the credential (except `session_id`: a session id is a bearer token).
 *   3. The last token is a credential word (password, token, secret, pin, cvv, otp, cookie,
 *      authorization ...), or `key` (alone or after a qualifier such as api, secret, access,
 *      private, signing, subscription, functions; ALLOW keeps `cache_key` & co.).
 *   4. Any token is an unambiguous credential word (password, passphrase, credential, privkey ...).
 *   5. A name without separators that ends in a long credential word (`newpassword`,
 *      `accesstoken`, `clientsecret`, `xapikey`).
 */

/** Last tokens that make a name a credential. */
const TAIL = new Set([
  'password',
  'passwd',
  'pwd',
  'pw',
  'pass',
  'passphrase',
  'passcode',
  'secret',
  'secrets',
  'token',
  'apikey',
  'privkey',
  'privatekey',
  'credential',
  'credentials',
  'creds',
  'authorization',
  'authentication',
  'auth',
  'cookie',
  'cookies',
  'pin',
  'cvv',
  'cvv2',
  'cvc',
  'cvc2',
  'otp',
  'totp',
  'hotp',
  'mfa',
  'signature',
  'sig',
  'sessionid',
  'jwt',
  'bearer',
  'mnemonic',
  'dsn',
  'key',
]);

/** Tokens that make a name a credential wherever they appear (unless rule 2 applies). */
const ANYWHERE = new Set([
  'password',
  'passwd',
  'passphrase',
  'passcode',
  'credential',
  'credentials',
  'privkey',
  'privatekey',
  'apikey',
  'secret',
  'authorization',
  'cookie',
]);

/** Last tokens that describe a credential without holding it. */
const META = new Set([
  'at',
  'on',
  'date',
  'time',
  'expires',
  'expiry',
  'expiration',
  'exp',
  'ttl',
  'age',
  'type',
  'types',
  'kind',
  'length',
  'len',
  'count',
  'size',
  'name',
  'names',
  'id',
  'ids',
  'version',
  'policy',
  'rules',
  'strength',
  'required',
  'enabled',
  'set',
  'changed',
  'updated',
  'created',
  'rotated',
  'hint',
  'url',
  'uri',
  'arn',
  'ref',
  'path',
  'header',
  'field',
  'param',
  'algorithm',
  'alg',
  'format',
  'status',
  'valid',
  'present',
  'provided',
  'missing',
  'error',
  'errors',
  'in',
]);

/** First tokens of counters and limits. */
const COUNTERS = new Set(['max', 'min', 'num', 'total', 'count', 'remaining', 'used']);

/** Whole names (separators removed, lowercased) that look like credentials but are not. */
const ALLOW = new Set([
  'idempotencykey',
  'cachekey',
  'primarykey',
  'foreignkey',
  'sortkey',
  'partitionkey',
  'rangekey',
  'hashkey',
  'routingkey',
  'objectkey',
  'publickey',
  'pubkey',
  'lookupkey',
  'dedupkey',
  'dedupekey',
  'deduplicationkey',
  'messagekey',
  'eventkey',
  'groupkey',
  'issuekey',
  'projectkey',
  'featurekey',
  'translationkey',
  'i18nkey',
  'localekey',
  'storagekey',
  'bucketkey',
  's3key',
  'sitekey',
  'recaptchasitekey',
  'publishablekey',
  'tokentype',
  'foreignkeys',
  'licensekeyhint',
]);

/** Long words a separator-less name may end in (`newpassword`, `accesstoken`, `xapikey`). */
const SUFFIXES = [
  'password',
  'passwd',
  'passphrase',
  'passcode',
  'secret',
  'token',
  'apikey',
  'privkey',
  'privatekey',
  'secretkey',
  'accesskey',
  'signingkey',
  'masterkey',
  'encryptionkey',
  'subscriptionkey',
  'functionskey',
  'functionkey',
  'sessionid',
  'sessiontoken',
  'credential',
  'credentials',
  'authorization',
  'authentication',
  'cookie',
];

/** Splits a key name into lowercase tokens. */
export function keyTokens(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((t) => t !== '');
}

function decide(name: string): boolean {
  const raw = keyTokens(name);
  if (raw.length === 0 || ALLOW.has(raw.join(''))) return false;
  const tokens = raw.map((t) => (/[a-z]/.test(t) ? t.replace(/[0-9]+$/, '') : t)); // password2, cvv2, key1
  const joined = tokens.join('');
  const last = tokens[tokens.length - 1] as string;
  if (tokens.length > 1 && last === 'id' && tokens[tokens.length - 2] === 'session') return true;
  if (META.has(last)) return false;
  if (COUNTERS.has(tokens[0] as string) && tokens.length > 1) return false; // max_tokens, total_keys
  if (TAIL.has(last)) return true;
  if (tokens.some((t) => ANYWHERE.has(t))) return true;
  if (joined === 'setcookie' || joined === 'proxyauthorization') return true;
  return tokens.length === 1 && SUFFIXES.some((s) => joined.endsWith(s));
}

const cache = new Map<string, boolean>();

/** True for key names that hold credentials (see the module comment for the rules). */
export function isCredentialKey(key: string): boolean {
  if (typeof key !== 'string' || key.length > 256) return false;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  let v: boolean;
  try {
    v = decide(key.includes('%') ? safeDecode(key) : key);
  } catch {
    v = false;
  }
  if (cache.size > 4096) cache.clear();
  cache.set(key, v);
  return v;
}

/** decodeURIComponent that keeps the input when it is not valid percent-encoding. */
export function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}
