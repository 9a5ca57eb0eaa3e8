/**
 * A queue URL as it may be shown: the password replaced by `***`. Every log line, error
 * and file that names the queue uses it, also for a URL too broken to parse: an error
 * quoting what the user typed must not print the password either.
 */
export function maskUrl(raw: string): string {
  try {
    const u = new URL(raw);
    if ((u.protocol === "redis:" || u.protocol === "rediss:") && u.host) {
      if (u.password) u.password = "***";
      return u.href.replace(/\/$/, "");
    }
  } catch {
    // not a URL: masked by hand below
  }
  // Whatever sits between the first ":" of the part before the last "@" (after any
  // "scheme://") and that "@" may be a password, e.g. "u:pw@host" without a scheme.
  const at = raw.lastIndexOf("@");
  if (at < 0) return raw;
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(raw)?.[0] ?? "";
  const userinfo = raw.slice(scheme.length, at);
  const colon = userinfo.indexOf(":");
  return colon < 0 ? raw : `${scheme}${userinfo.slice(0, colon)}:***${raw.slice(at)}`;
}
