// What a badge shows for a result: the library's report and any bank match,
// mapped to one of the extension's badge states. Pure: the service worker,
// the popup and the tests use the same function. The verdict itself is
// always the WASM verifier's; nothing here decides trust.

/** Badge states, in the order the popup lists them. */
export const STATES = [
  "matched", // a hash bank labels it (e.g. "known fake")
  "tampered",
  "invalid",
  "ai", // intact credentials that say generative AI made it
  "unknown", // intact credentials, signer not in the trust list
  "trusted",
  "unsigned",
  "error",
];

export const STATE_LABELS = {
  matched: "Matches a hash bank",
  tampered: "Tampered",
  invalid: "Invalid credentials",
  ai: "AI-generated",
  unknown: "Signed by an unknown signer",
  trusted: "Trusted",
  unsigned: "No Content Credentials",
  error: "Could not be checked",
};

/** Who the credentials vouch for, as "Name (Organization)". */
/** Longest text from a manifest that a badge or card shows (the rest becomes "…"). */
export const MAX_SHOWN = 600;

/**
 * Text from a manifest made safe to show: control characters and the
 * invisible or bidirectional formatting characters (which could make
 * "gnp.exe" read as "exe.png") become visible `\u{…}` escapes, as the CLI
 * shows them, and very long text is cut. Markup needs nothing here: it is
 * always set as text, never parsed.
 */
export function visible(text) {
  if (text == null) return text;
  const escaped = String(text).replace(
    /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g,
    (c) => `\\u{${c.codePointAt(0).toString(16)}}`,
  );
  const chars = [...escaped];
  return chars.length > MAX_SHOWN ? `${chars.slice(0, MAX_SHOWN).join("")}…` : escaped;
}

export function signerName(signer) {
  if (!signer) return null;
  const { name, organization } = signer;
  if (name && organization && name !== organization) return `${name} (${organization})`;
  return name || organization || "an unnamed signer";
}

/**
 * The badge for a report and the best bank match (or null).
 * Returns {state, text, title}: `text` is the short badge text, `title` its tooltip.
 */
export function badgeFor(report, bankMatch) {
  const badge = rawBadge(report, bankMatch);
  return { ...badge, text: visible(badge.text), title: visible(badge.title) };
}

function rawBadge(report, bankMatch) {
  if (bankMatch && report.verdict !== "trusted") {
    return {
      state: "matched",
      text: bankMatch.label,
      title: `Matches “${bankMatch.label}” in your hash bank (${bankMatch.distance} bits)`,
    };
  }
  switch (report.verdict) {
    case "trusted":
    case "valid": {
      const who = signerName(report.signer);
      const state = report.ai_generated ? "ai" : report.verdict === "trusted" ? "trusted" : "unknown";
      const text = report.ai_generated ? "AI-generated" : report.verdict === "trusted" ? who : "Unknown signer";
      return { state, text, title: report.summary };
    }
    case "tampered":
      return { state: "tampered", text: "Tampered", title: report.summary };
    case "invalid":
      return { state: "invalid", text: "Invalid", title: report.summary };
    case "unsigned":
    case "recovered":
      return { state: "unsigned", text: "Unsigned", title: report.summary };
    default:
      return { state: "error", text: "Not checked", title: report.summary };
  }
}

/** Whether feed-filter mode hides an image with this badge until it is clicked. */
export function filtered(state) {
  return state === "unsigned" || state === "ai" || state === "matched" || state === "tampered";
}

/** Whether a badge is drawn in a mode: "all", "problems" (not trusted), or "filter". */
export function shown(state, mode, showUnsigned) {
  if (state === "unsigned" && !showUnsigned && mode !== "filter") return false;
  if (mode === "problems") return state !== "trusted";
  return true;
}
