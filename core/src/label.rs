//! Labels and notes as hash banks keep them (picture banks, video banks,
//! the feed's merged set): one cleaning rule everywhere, with no
//! dependencies, so that `bank` and `vpdq` both use it without depending on
//! each other.

/// Longest label or note kept, in bytes (longer ones are cut at a character boundary).
pub const MAX_FIELD: usize = 1024;
/// The label of an entry whose line gives none.
pub const DEFAULT_LABEL: &str = "match";

/// A label or note as banks keep it: trimmed, cut to [`MAX_FIELD`] bytes at
/// a character boundary, control characters dropped (a note is data, never
/// terminal input).
pub fn clean_field(field: &str) -> String {
    let field = field.trim();
    let mut cut = field.len().min(MAX_FIELD);
    while !field.is_char_boundary(cut) {
        cut -= 1;
    }
    field[..cut].chars().filter(|c| !c.is_control()).collect()
}

/// A label as banks keep it: [`clean_field`], and [`DEFAULT_LABEL`] when empty.
pub fn clean_label(label: &str) -> String {
    let label = clean_field(label);
    if label.is_empty() {
        DEFAULT_LABEL.to_string()
    } else {
        label
    }
}
