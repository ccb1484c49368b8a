//! With the `gpu` feature: link libtorch_cuda even though no symbol of it is
//! used directly (its static initialisers register the CUDA backend, and the
//! linker's default --as-needed would drop it), and record libtorch's folder
//! as the binary's run path, so `hallmark` starts without LD_LIBRARY_PATH.
//! The folder is found as torch-sys finds it: $LIBTORCH/lib, else the
//! PyTorch that `python3` imports (LIBTORCH_USE_PYTORCH=1).

use std::path::PathBuf;
use std::process::Command;

fn libtorch_lib() -> Option<PathBuf> {
    if let Some(root) = std::env::var_os("LIBTORCH") {
        return Some(PathBuf::from(root).join("lib"));
    }
    let python = std::env::var_os("PYTHON_SYS_EXECUTABLE").unwrap_or_else(|| "python3".into());
    let out = Command::new(python)
        .args([
            "-c",
            "import os, torch; print(os.path.join(os.path.dirname(torch.__file__), 'lib'))",
        ])
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    let line = text.lines().last()?.trim();
    (!line.is_empty()).then(|| PathBuf::from(line))
}

fn main() {
    println!("cargo:rerun-if-env-changed=LIBTORCH");
    println!("cargo:rerun-if-env-changed=LIBTORCH_USE_PYTORCH");
    println!("cargo:rerun-if-env-changed=PYTHON_SYS_EXECUTABLE");
    // The binary's ~190,000 relative relocations (a PIE's pointers in
    // tables, vtables, strings) packed as DT_RELR: 4.6 MB of `.rela.dyn`
    // that every run paged in and walked becomes about 100 KB (glibc 2.36,
    // binutils 2.38 and later; Debian 12 has both).
    let target = std::env::var("TARGET").unwrap_or_default();
    if target.ends_with("-linux-gnu") {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
    if std::env::var_os("CARGO_FEATURE_GPU").is_none() {
        return;
    }
    let Some(lib) = libtorch_lib() else {
        println!("cargo:warning=gpu feature: libtorch's folder not found; set LIBTORCH or LIBTORCH_USE_PYTORCH=1");
        return;
    };
    println!("cargo:rustc-link-arg-bins=-Wl,-rpath,{}", lib.display());
    if lib.join("libtorch_cuda.so").exists() {
        println!("cargo:rustc-link-arg-bins=-L{}", lib.display());
        println!("cargo:rustc-link-arg-bins=-Wl,--no-as-needed");
        println!("cargo:rustc-link-arg-bins=-ltorch_cuda");
        println!("cargo:rustc-link-arg-bins=-Wl,--as-needed");
    }
}
