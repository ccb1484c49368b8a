// Generated from hallmark-core's Rust types by ts-rs (wasm/src/declarations.rs): do not edit.

/**
 * The outcome of verifying one file, decided in this order of precedence.
 */
export type Verdict = "error" | "unsigned" | "recovered" | "tampered" | "invalid" | "trusted" | "valid";

/**
 * The trust anchor (or allowed certificate) that vouched for a signer.
 */
export type AnchorInfo = { name: string, certificate_sha256: string, 
/**
 * Where it was configured: `--trust FILE`, `trust list entry NAME`,
 * `--allowed FILE`, or what the library caller named.
 */
source: string, };

/**
 * Who signed, from the signing certificate.
 */
export type SignerInfo = { name: string | null, organization: string | null, issuer: string | null, certificate_sha256: string, trusted: boolean, 
/**
 * Who vouched, when `trusted`: the anchor the chain validated to (or
 * the allowed-list entry that is this very certificate).
 */
anchor: AnchorInfo | null, 
/**
 * Certificate subjects from the signing certificate to the anchor when
 * trusted; otherwise the chain as the manifest presents it.
 */
chain: Array<string>, };

/**
 * One validation status entry of the active manifest.
 */
export type StatusEntry = { code: string, 
/**
 * "success", "informational" or "failure".
 */
kind: string, explanation: string | null, 
/**
 * What the entry is about: `claim_signature` (the manifest's signer and
 * content), `ingredient`, `identity` (a CAWG identity assertion), or
 * `hallmark` (Hallmark's own re-validation). Absent in older reports.
 */
scope: string | null, 
/**
 * The JUMBF URL of what the entry is about, as c2pa logged it.
 */
url: string | null, };

/**
 * A CAWG identity assertion of the active manifest.
 */
export type IdentityReport = { 
/**
 * The assertion's label (`cawg.identity`, `cawg.identity__1`…).
 */
label: string, 
/**
 * Who it names (an identity claims aggregation credential's verified names).
 */
name: string | null, 
/**
 * `cawg.x509.cose`, `cawg.identity_claims_aggregation`, or what the file says.
 */
sig_type: string | null, 
/**
 * The credential's issuer (a DID, or an X.509 issuer name).
 */
issuer: string | null, 
/**
 * The credential is valid and vouched for by a trusted issuer.
 */
trusted: boolean, 
/**
 * The failure codes logged for this assertion alone.
 */
status: Array<string>, };

/**
 * An ingredient of the active manifest and its own verdict.
 */
export type IngredientReport = { title: string | null, relationship: string | null, verdict: Verdict, };

/**
 * What a manifest says about content it does not vouch for (verdicts
 * tampered and invalid): kept apart so no shell shows it as fact.
 */
export type ClaimedFacts = { title: string | null, claim_generator: string | null, digital_source_type: string | null, ai_generated: boolean, actions: Array<string>, 
/**
 * The ingredients it lists, with their own verdicts.
 */
ingredients: Array<IngredientReport>, };

/**
 * A stretch of the query that matches a stretch of the compared video, in seconds.
 */
export type Segment = { query_start: number, query_end: number, compared_start: number, compared_end: number, };

/**
 * How a recovered file's content matched the registered original.
 */
export type MatchKind = "same_pixels" | "similar_picture" | "similar_video";

/**
 * How a video matched a registered one, by the reference vPDQ rule.
 */
export type RecoveredVideo = { 
/**
 * Share of this video's distinct good frames that match the registered one's.
 */
query_match_percent: number, 
/**
 * Share of the registered video's distinct good frames that match this one's.
 */
compared_match_percent: number, 
/**
 * Which seconds of this video show which seconds of the registered one.
 */
segments: Array<Segment>, };

/**
 * Where stripped credentials were recovered from: the registered file whose
 * pixels match (verdict `recovered`).
 */
export type RecoveredInfo = { 
/**
 * PDQ Hamming distance between this file and the registered one (0–256);
 * for a video, the largest distance at which its frames counted as
 * matching (the threshold), the match itself being in `video`.
 */
distance: number, 
/**
 * This file shows exactly the registered file's pixels (same pixel digest).
 */
pixel_digest_match: boolean, 
/**
 * How this file's content matched: the same pixels, or only a similar
 * picture or video (perceptual hashes within the threshold, which a
 * different picture can also be).
 */
match: MatchKind, 
/**
 * Who signed the registered file, as its stored credentials verify now
 * against the current trust (`trusted` now, not at registration).
 */
signer: SignerInfo, 
/**
 * The registered file's verdict when it was registered: trusted or valid.
 */
registered_verdict: Verdict, 
/**
 * Its stored manifest store's verdict now, validated again at lookup
 * against the current trust: trusted or valid (a store that no
 * longer validates recovers nothing).
 */
verdict_now: Verdict, title: string | null, signed_at: string | null, 
/**
 * The registered manifest's digital source type, and whether it means generative AI.
 */
digital_source_type: string | null, ai_generated: boolean, 
/**
 * RFC 3339, UTC.
 */
registered_at: string, 
/**
 * BLAKE3 of the registered file's bytes (hex): its content address in the registry.
 */
asset_blake3: string, 
/**
 * A video matched by vPDQ: how much of each matches, and which seconds;
 * null for a picture.
 */
video: RecoveredVideo | null, };

/**
 * Why a file could not be read.
 */
export type ErrorInfo = { code: string, message: string, };

/**
 * A stretch of time, in seconds from the start (end exclusive).
 */
export type TimeRange = { start: number, end: number, };

/**
 * What a tampered video's frames say against the signed ones.
 */
export type VideoFrames = { 
/**
 * Signed frames compared.
 */
signed: number, 
/**
 * Of them, those whose frame in the file is still within the threshold.
 */
matching: number, 
/**
 * Where the frames changed.
 */
changed: Array<TimeRange>, 
/**
 * Signed stretches the file no longer has a frame for (cut short).
 */
missing: Array<TimeRange>, 
/**
 * The largest distance at which a frame counts as unchanged.
 */
threshold: number, };

/**
 * What verification found, for one file.
 */
export type Report = { path: string | null, format: string | null, verdict: Verdict, summary: string, 
/**
 * The signer, shown only when the manifest belongs to this content
 * (verdicts trusted and valid).
 */
signer: SignerInfo | null, 
/**
 * Who the manifest claims signed it, when it is tampered or invalid: never
 * presented as the signer of this file.
 */
claimed_signer: SignerInfo | null, 
/**
 * What a tampered or invalid manifest claims (title, source type, actions…).
 */
claimed: ClaimedFacts | null, signed_at: string | null, claim_generator: string | null, title: string | null, digital_source_type: string | null, ai_generated: boolean, actions: Array<string>, ingredients: Array<IngredientReport>, 
/**
 * The CAWG identity assertions, each with its own status.
 */
identities: Array<IdentityReport>, 
/**
 * Pixel-level comparison when the hard binding fails (perceptual hashing).
 */
pixels: { digest: "match" | "mismatch"; pdq_distance: number } | null, 
/**
 * A tampered video's frames compared with those it was signed with:
 * which seconds changed (Hallmark's per-second soft binding).
 */
video_frames: VideoFrames | null, 
/**
 * A pointer to a remote manifest that was not fetched.
 */
remote_manifest: string | null, status: Array<StatusEntry>, error: ErrorInfo | null, 
/**
 * Set when the verdict is `recovered`: the registry entry the pixels match.
 */
recovered: RecoveredInfo | null, };

/**
 * What a badge says about an image, most alarming first (the popup's order).
 */
export type BadgeState = "matched" | "mismatch" | "tampered" | "invalid" | "ai" | "unknown" | "pending" | "trusted" | "recovered" | "unsigned" | "error";

/**
 * The badge over one image: its state, short text and tooltip, all safe to show.
 */
export type Badge = { state: BadgeState, mark: string, text: string, title: string, };

/**
 * One line of the details card.
 */
export type CardRow = { label: string, value: string, };

/**
 * A group of card lines, under a heading when they are claims.
 */
export type CardSection = { heading: string | null, rows: Array<CardRow>, };

/**
 * The details card of an image: every string already safe to show.
 */
export type Card = { verdict: string, heading: string, summary: string, sections: Array<CardSection>, };

/**
 * The nearest bank entry to an image, over its eight rotations and reflections.
 */
export type BankHit = { label: string, note: string, distance: number, transform: string, };

/**
 * Whether a badge is drawn, and whether the image is veiled until clicked.
 */
export type Placement = { show: boolean, veil: boolean, };

/**
 * What the screen showed where a trusted image is.
 */
export type ScreenOutcome = { "kind": "same" } | { "kind": "pending", reason: string, } | { "kind": "differs", reason: string, };

/**
 * The part of the verified image that is on screen, as fractions (0–1) of
 * its width and height.
 */
export type SourceRect = { x: number, y: number, width: number, height: number, };

/**
 * What a comparison measured, and what it concluded.
 */
export type Comparison = { outcome: ScreenOutcome, 
/**
 * PDQ distance between the two, when the image has detail enough to hash.
 */
pdq_distance: number | null, mean_diff: number, worst_cell_diff: number, };
