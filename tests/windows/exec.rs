//! `exec` on Windows: no exec(), so bscred starts the command, waits, and
//! exits with its code; commands are found the way cmd.exe finds them
//! (PATH and PATHEXT, so `yarn` runs `yarn.cmd`).

use crate::harness::{Env, assert_code, text, token};

fn with_token() -> (Env, String) {
    let env = Env::initialised("file");
    let secret = token(10);
    env.set("GITHUB_TOKEN", &secret, &[]);
    env.set("GITHUB_USERNAME", "octo", &[]);
    (env, secret)
}

#[test]
fn the_child_sees_the_variables() {
    let (env, secret) = with_token();
    let out = env.run(&[
        "exec",
        "--",
        "cmd",
        "/d",
        "/c",
        "echo %GITHUB_USERNAME%:%GITHUB_TOKEN%",
    ]);
    assert_code(&out, 0, "exec -- cmd /c echo");
    assert_eq!(text(&out.stdout).trim_end(), format!("octo:{secret}"));
}

#[test]
fn only_limits_what_the_child_sees() {
    let (env, _) = with_token();
    let out = env.run(&[
        "exec",
        "--only",
        "GITHUB_USERNAME",
        "--",
        "cmd",
        "/d",
        "/c",
        "if defined GITHUB_TOKEN (exit 9) else (echo %GITHUB_USERNAME%)",
    ]);
    assert_code(&out, 0, "exec --only");
    assert_eq!(text(&out.stdout).trim_end(), "octo");
}

#[test]
fn the_childs_exit_code_comes_back_whole() {
    let (env, _) = with_token();
    for code in [0, 1, 3, 7, 42, 255] {
        let out = env.run(&["exec", "--", "cmd", "/d", "/c", &format!("exit {code}")]);
        assert_code(&out, code, &format!("exec -- cmd /c exit {code}"));
    }
    // Windows exit codes are 32 bits; cutting 256 to its low byte would
    // turn a failure into success.
    let out = env.run(&["exec", "--", "cmd", "/d", "/c", "exit 256"]);
    assert_code(&out, 256, "exec -- cmd /c exit 256");
}

#[test]
fn a_missing_command_is_127_and_names_it() {
    let (env, _) = with_token();
    let out = env.run(&["exec", "--", "no-such-command-bscred"]);
    assert_code(&out, 127, "exec -- no-such-command-bscred");
    assert!(text(&out.stderr).contains("no-such-command-bscred"));
    assert!(out.stdout.is_empty());
}

#[test]
fn bscred_failing_before_the_command_is_125() {
    // Not initialised: bscred cannot read the profile, so the command never
    // starts and the code cannot be mistaken for the command's own 3.
    let env = Env::new();
    let out = env.run(&["exec", "--", "cmd", "/d", "/c", "exit 0"]);
    assert_code(&out, 125, "exec in an uninitialised home");
    assert!(text(&out.stderr).contains("bscred: error:"));
}

#[test]
fn a_cmd_script_is_found_through_pathext() {
    let (mut env, _) = with_token();
    let bin = env.work.join("tools bin");
    std::fs::create_dir_all(&bin).expect("mkdir");
    std::fs::write(
        bin.join("hello-bscred.cmd"),
        "@echo off\r\necho cmd:%GITHUB_USERNAME%:%1\r\nexit /b 5\r\n",
    )
    .expect("write .cmd");
    std::fs::write(
        bin.join("hello-bat.bat"),
        "@echo off\r\necho bat:%GITHUB_USERNAME%\r\n",
    )
    .expect("write .bat");
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut paths = vec![bin.clone()];
    paths.extend(std::env::split_paths(&path));
    env.set_var("PATH", std::env::join_paths(paths).expect("join"));
    env.set_var("PATHEXT", ".COM;.EXE;.BAT;.CMD");

    let out = env.run(&["exec", "--", "hello-bscred", "arg"]);
    assert_code(&out, 5, "exec -- hello-bscred (a .cmd)");
    assert_eq!(text(&out.stdout).trim_end(), "cmd:octo:arg");

    let out = env.run(&["exec", "--", "hello-bat"]);
    assert_code(&out, 0, "exec -- hello-bat (a .bat)");
    assert_eq!(text(&out.stdout).trim_end(), "bat:octo");

    // Named with its extension, it is found as well.
    let out = env.run(&["exec", "--", "hello-bat.bat"]);
    assert_code(&out, 0, "exec -- hello-bat.bat");
}
