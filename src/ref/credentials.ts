import { AirlockError } from '../errors.js';

/**
 * `user:password@` in front of a host: in a reference that pack records, it would
 * carry the password into the signed airlock.json and into --json output, and any
 * message quoting the reference would print it. Refused here, before anything
 * records or repeats it; the message shows the reference with the password masked.
 * With a scheme (`https://`, `oci://`) the user info ends at the host; without one
 * (an image reference) a `/` must follow the host, so `nginx@sha256:…` is a digest.
 */
export function refuseCredentials(text: string, what: 'chart reference' | 'image reference'): void {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#@\s]*)@([^/?#\s]*)/i.exec(text) ?? /^()([^/@\s]+)@([^/\s]+)(?=\/)/.exec(text);
  if (m === null) return;
  const [whole, scheme, userinfo, host] = m as unknown as [string, string, string, string];
  const colon = userinfo.indexOf(':');
  const masked = colon < 0 ? '***' : `${userinfo.slice(0, colon)}:***`;
  throw new AirlockError('REF_INVALID', `${what} "${scheme}${masked}@${text.slice(whole.length - host.length)}" holds ${colon < 0 ? 'a user name' : 'a user name and password'} in the ${scheme ? 'URL' : 'reference'}`, {
    hint: `credentials in a reference would be written into the signed bundle; remove them and give the login with --creds ${host}=USER --password-stdin`,
  });
}
