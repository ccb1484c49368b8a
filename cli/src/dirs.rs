//! Where the user's configuration and cache live: `$HALLMARK_CONFIG_DIR` and
//! `$HALLMARK_CACHE_DIR` when set, else the platform's base directories as
//! the etcetera crate finds them (XDG on Linux and macOS:
//! `$XDG_CONFIG_HOME/hallmark`, else `~/.config/hallmark`, and the same for
//! the cache; a relative `XDG_*` path is ignored, as the XDG specification
//! says), `None` when there is no home directory either.

use std::path::PathBuf;

use etcetera::BaseStrategy;

fn from_env(var: &str) -> Option<PathBuf> {
    std::env::var_os(var)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// The configuration directory (`config.toml`, `trust/`, `trust-tsa/`).
pub fn config_dir() -> Option<PathBuf> {
    from_env("HALLMARK_CONFIG_DIR").or_else(|| {
        etcetera::choose_base_strategy()
            .ok()
            .map(|base| base.config_dir().join("hallmark"))
    })
}

/// The cache directory (the scan cache).
pub fn cache_dir() -> Option<PathBuf> {
    from_env("HALLMARK_CACHE_DIR").or_else(|| {
        etcetera::choose_base_strategy()
            .ok()
            .map(|base| base.cache_dir().join("hallmark"))
    })
}
