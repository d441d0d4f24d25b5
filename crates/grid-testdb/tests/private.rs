//! A throwaway server only its owner can reach: owner-only directories and socket, no
//! `trust` anywhere, the password hidden from `Debug`.

use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use grid_testdb::cluster::{Cluster, ClusterOptions};
use grid_testdb::{Mode, best_local_mode};

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

#[test]
fn another_os_user_cannot_reach_the_throwaway_server() {
    let mode = Mode::from_env()
        .unwrap()
        .unwrap_or_else(|| best_local_mode().unwrap());
    let cluster = Cluster::start(&ClusterOptions::for_tests(mode)).unwrap();
    let url = cluster.url("postgres");
    let password = grid_secrets::passwords_of(&url).remove(0);
    assert!(!format!("{cluster:?}").contains(&password), "{cluster:?}");
    let sock = cluster.socket_dir();
    let mode_of = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode_of(&sock), 0o700);
    assert_eq!(mode_of(sock.parent().unwrap()), 0o700);
    if !running_as_root() {
        // Switching to another OS user needs root (runuser): the directory modes above are
        // what keeps others out, and they are checked.
        eprintln!("not root: cannot run as another OS user to try the server; checked the modes");
        return;
    }
    let psql = cluster.install().bin("psql");
    let port = cluster.port().to_string();
    let as_nobody = |args: &[&str]| {
        Command::new("runuser")
            .args(["-u", "nobody", "--"])
            .arg(&psql)
            .args(args)
            .env_remove("PGPASSWORD")
            .output()
            .unwrap()
    };
    // Through the socket (its directory is not even searchable for nobody).
    let socket = as_nobody(&[
        "-h",
        sock.to_str().unwrap(),
        "-p",
        &port,
        "-U",
        "postgres",
        "-w",
        "-c",
        "SELECT 1",
    ]);
    assert!(
        !socket.status.success(),
        "nobody reached the server through its socket"
    );
    // Over TCP without the password.
    let tcp = as_nobody(&[
        "-h",
        "127.0.0.1",
        "-p",
        &port,
        "-U",
        "postgres",
        "-w",
        "-c",
        "SELECT 1",
    ]);
    assert!(!tcp.status.success(), "nobody reached the server over TCP");
    let said = String::from_utf8_lossy(&tcp.stderr);
    assert!(said.contains("password"), "{said}");
}
