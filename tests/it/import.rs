//! `bscred import`: dotenv files and the environment read exactly, secret
//! names stored secret, conflicts refused, and `--remove` deleting only the
//! imported lines, only after the import succeeded.

use std::collections::BTreeMap;
use std::fs;
use std::path::PathBuf;

use crate::harness::{Env, NOW, TOKEN, assert_fails, assert_success, assert_unchanged, stderr};

/// Writes `text` to `name` in the work dir and returns its path.
fn write_env(env: &Env, name: &str, text: &str) -> PathBuf {
    let path = env.work.join(name);
    fs::write(&path, text).expect("write dotenv file");
    path
}

/// Every variable of `list --json` as name → secret flag.
fn secret_flags(env: &Env) -> BTreeMap<String, bool> {
    env.list_json()["variables"]
        .as_array()
        .expect("variables")
        .iter()
        .map(|v| {
            (
                v["name"].as_str().expect("name").to_string(),
                v["secret"].as_bool().expect("secret"),
            )
        })
        .collect()
}

/// One field of one variable in `list --json`.
fn listed(env: &Env, name: &str, field: &str) -> serde_json::Value {
    env.list_json()["variables"]
        .as_array()
        .expect("variables")
        .iter()
        .find(|v| v["name"] == name)
        .unwrap_or_else(|| panic!("{name} not listed"))[field]
        .clone()
}

/// A dotenv file using every supported feature, with the values it holds.
fn feature_file(newline: &str) -> (String, Vec<(&'static str, String)>) {
    let lines = [
        "# Backstage credentials",
        "",
        "   # an indented comment",
        &format!("GITHUB_TOKEN={TOKEN}"),
        "export GITHUB_USERNAME=octocat",
        "export\tEXPORT_TAB=tabbed",
        "USER_DISPLAY_NAME=Mona Lisa Octocat",
        "USER_EMAIL=mona@example.com # work address",
        "HASH_IN_VALUE=p#ss#word",
        "SINGLE='literal $HOME \\n \"kept\"'",
        "DOUBLE=\"a\\nb\\tc \\\"q\\\" \\\\ $HOME\"",
        "MULTI=\"-----BEGIN KEY-----",
        "line two",
        "",
        "-----END KEY-----\"",
        "SINGLE_MULTI='one",
        "two'",
        "EMPTY=",
        "EMPTY_QUOTED=\"\"",
        "EMPTY_COMMENT= # nothing here",
        "  SPACED  =  padded value  ",
        "EQUALS=a=b==",
        "QUOTED_COMMENT='x y' # trailing",
    ];
    let text = lines.join(newline) + newline;
    let values = vec![
        ("GITHUB_TOKEN", TOKEN.to_string()),
        ("GITHUB_USERNAME", "octocat".to_string()),
        ("EXPORT_TAB", "tabbed".to_string()),
        ("USER_DISPLAY_NAME", "Mona Lisa Octocat".to_string()),
        ("USER_EMAIL", "mona@example.com".to_string()),
        ("HASH_IN_VALUE", "p#ss#word".to_string()),
        ("SINGLE", "literal $HOME \\n \"kept\"".to_string()),
        ("DOUBLE", "a\nb\tc \"q\" \\ $HOME".to_string()),
        (
            "MULTI",
            "-----BEGIN KEY-----\nline two\n\n-----END KEY-----".to_string(),
        ),
        ("SINGLE_MULTI", "one\ntwo".to_string()),
        ("EMPTY", String::new()),
        ("EMPTY_QUOTED", String::new()),
        ("EMPTY_COMMENT", String::new()),
        ("SPACED", "padded value".to_string()),
        ("EQUALS", "a=b==".to_string()),
        ("QUOTED_COMMENT", "x y".to_string()),
    ];
    (text, values)
}

fn assert_imported(env: &Env, values: &[(&str, String)]) {
    for (name, value) in values {
        assert_eq!(&env.get(name), value, "{name}");
    }
    let names: Vec<String> = secret_flags(env).into_keys().collect();
    let mut expected: Vec<String> = values.iter().map(|(n, _)| n.to_string()).collect();
    expected.sort();
    assert_eq!(names, expected);
}

#[test]
fn dotenv_features_read_back_exactly() {
    let env = Env::initialised();
    let (text, values) = feature_file("\n");
    write_env(&env, ".env", &text);
    let out = env.run(&["import"]);
    assert_success(&out);
    assert!(
        stderr(&out).contains(&format!(
            "imported {} variable(s) from .env into profile 'default' ({} new, 0 updated, 0 unchanged)",
            values.len(),
            values.len()
        )),
        "{}",
        stderr(&out)
    );
    assert!(!stderr(&out).contains(TOKEN));
    assert!(out.stdout.is_empty());
    assert_imported(&env, &values);
    // Without --remove the file is left alone.
    assert_eq!(
        fs::read_to_string(env.work.join(".env")).expect("read"),
        text
    );
}

#[test]
fn crlf_file_reads_the_same_values() {
    let env = Env::initialised();
    let (text, values) = feature_file("\r\n");
    write_env(&env, "windows.env", &text);
    env.ok(&["import", "windows.env"]);
    assert_imported(&env, &values);
    // A last line without a line ending is read too.
    write_env(&env, "last.env", "A=1\r\nB='two'");
    env.ok(&["import", "last.env"]);
    assert_eq!(env.get("A"), "1");
    assert_eq!(env.get("B"), "two");
}

#[test]
fn secret_looking_names_are_stored_secret() {
    let text = format!(
        "GITHUB_TOKEN={TOKEN}\nAPI_KEY=k\nAUTH_GITHUB_CLIENT_SECRET=s\nDB_PASSWORD=p\n\
         AUTH_GITHUB_CLIENT_ID=id\nGITHUB_USERNAME=octocat\nUSER_EMAIL=e\nMONKEY=m\nPATTERN=p\n"
    );
    let env = Env::initialised();
    write_env(&env, ".env", &text);
    env.ok(&["import"]);
    let flags = secret_flags(&env);
    let expected: BTreeMap<String, bool> = [
        ("GITHUB_TOKEN", true),
        ("API_KEY", true),
        ("AUTH_GITHUB_CLIENT_SECRET", true),
        ("DB_PASSWORD", true),
        // AUTH is a secret word wherever it stands.
        ("AUTH_GITHUB_CLIENT_ID", true),
        ("GITHUB_USERNAME", false),
        ("USER_EMAIL", false),
        ("MONKEY", false),
        ("PATTERN", false),
    ]
    .into_iter()
    .map(|(n, s)| (n.to_string(), s))
    .collect();
    assert_eq!(flags, expected);
    // Secret values are masked in the listing.
    let preview = listed(&env, "GITHUB_TOKEN", "preview");
    assert_eq!(preview, format!("ghp_…{}", &TOKEN[TOKEN.len() - 4..]));

    for (flag, all) in [("--secret", true), ("--plain", false)] {
        let env = Env::initialised();
        write_env(&env, ".env", &text);
        env.ok(&["import", flag]);
        let flags = secret_flags(&env);
        assert_eq!(flags.len(), expected.len());
        assert!(flags.values().all(|s| *s == all), "{flag}: {flags:?}");
        assert_eq!(env.get("GITHUB_TOKEN"), TOKEN);
    }
}

#[test]
fn existing_variables_keep_their_secret_flag_unless_overridden() {
    let env = Env::initialised();
    let out = env.run_stdin(
        &["set", "GITHUB_USERNAME", "--stdin", "--secret"],
        b"octocat",
    );
    assert_success(&out);
    write_env(&env, ".env", "GITHUB_USERNAME=octocat\n");
    env.ok(&["import"]);
    assert_eq!(listed(&env, "GITHUB_USERNAME", "secret"), true);
    env.ok(&["import", "--plain"]);
    assert_eq!(listed(&env, "GITHUB_USERNAME", "secret"), false);
}

#[test]
fn remove_keeps_a_line_whose_unquoted_value_may_have_been_cut() {
    // `echo "DB_PASSWORD=$VALUE" >> .env` with VALUE='p4ss #w0rd' writes a
    // line dotenv parsers read as `p4ss` plus a comment: the plaintext line
    // must survive, since it may be the only copy of the real value.
    let env = Env::initialised();
    let path = write_env(
        &env,
        ".env",
        "DB_PASSWORD=p4ss #w0rd\nPADDED_TOKEN= lead\nOK_TOKEN=x\n",
    );
    let out = env.run(&["import", "--remove"]);
    assert_success(&out);
    assert_eq!(
        fs::read_to_string(&path).expect("read"),
        "DB_PASSWORD=p4ss #w0rd\nPADDED_TOKEN= lead\n"
    );
    assert!(stderr(&out).contains("line 1 of .env"), "{}", stderr(&out));
    assert!(stderr(&out).contains("line 2 of .env"), "{}", stderr(&out));
    assert_eq!(env.get("DB_PASSWORD"), "p4ss");
}

#[test]
fn remove_deletes_only_the_imported_lines() {
    let env = Env::initialised();
    let kept_and_imported: [(&str, bool); 14] = [
        ("# Backstage app\n", false),
        ("\n", false),
        (&format!("GITHUB_TOKEN={TOKEN}\n"), true),
        ("  # indented, with trailing blanks   \n", false),
        // Stored as `octocat`, but the line stays: ` # me` might have been
        // part of a value written with `echo "NAME=$VALUE"`.
        ("export GITHUB_USERNAME=octocat # me\n", false),
        ("#COMMENTED_OUT=1\n", false),
        ("MULTI=\"first\n", true),
        ("second\n", true),
        ("\n", true),
        ("third\"\n", true),
        ("\t\n", false),
        ("# windows line\r\n", false),
        ("USER_EMAIL=mona@example.com\r\n", true),
        ("# last comment, no newline", false),
    ];
    let text: String = kept_and_imported.iter().map(|(l, _)| *l).collect();
    let expected: String = kept_and_imported
        .iter()
        .filter(|(_, imported)| !imported)
        .map(|(l, _)| *l)
        .collect();
    let path = write_env(&env, ".env", &text);
    let out = env.run(&["import", "--remove"]);
    assert_success(&out);
    assert!(!stderr(&out).contains(TOKEN));
    assert_eq!(fs::read_to_string(&path).expect("read"), expected);
    assert_eq!(env.get("GITHUB_TOKEN"), TOKEN);
    assert_eq!(env.get("GITHUB_USERNAME"), "octocat");
    assert_eq!(env.get("MULTI"), "first\nsecond\n\nthird");
    assert_eq!(env.get("USER_EMAIL"), "mona@example.com");
    assert!(stderr(&out).contains("line 5 of .env"), "{}", stderr(&out));
    assert!(stderr(&out).contains("kept 1 line"), "{}", stderr(&out));
    // No temporary file was left next to it.
    let names: Vec<_> = fs::read_dir(&env.work)
        .expect("list")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(names, [".env"]);
}

#[test]
fn remove_deletes_a_file_that_held_only_imported_lines() {
    let env = Env::initialised();
    let text = format!("\nGITHUB_TOKEN={TOKEN}\n\n  \nexport GITHUB_USERNAME='octocat'\n\n");
    let path = write_env(&env, ".env", &text);
    let out = env.run(&["import", "--remove"]);
    assert_success(&out);
    assert!(!path.exists(), "the plaintext file is still there");
    assert!(stderr(&out).contains("deleted .env"), "{}", stderr(&out));
    assert_eq!(env.get("GITHUB_TOKEN"), TOKEN);
    assert_eq!(env.get("GITHUB_USERNAME"), "octocat");
    assert!(
        env.files().keys().all(|p| !p.starts_with(&env.work)),
        "{:?}",
        env.files().keys()
    );
}

#[test]
fn remove_deletes_a_file_with_a_byte_order_mark_that_held_only_imported_lines() {
    // Windows editors start files with a UTF-8 byte order mark; a file left
    // holding nothing but that mark is as empty as one without it.
    let env = Env::initialised();
    for text in [
        format!("\u{feff}GITHUB_TOKEN={TOKEN}\n\n"),
        format!("\u{feff}GITHUB_TOKEN={TOKEN}\r\n"),
    ] {
        let path = write_env(&env, ".env", &text);
        env.ok(&["import", "--remove"]);
        assert_eq!(env.get("GITHUB_TOKEN"), TOKEN);
        let left = fs::read(&path).ok();
        assert!(left.is_none(), "{text:?} left {left:?} behind");
    }
    // With other lines left, the mark stays at the top of the file.
    let path = write_env(
        &env,
        ".env",
        &format!("\u{feff}GITHUB_TOKEN={TOKEN}\n# keep\n"),
    );
    env.ok(&["import", "--remove"]);
    assert_eq!(fs::read_to_string(&path).expect("read"), "\u{feff}# keep\n");
}

#[cfg(unix)]
#[test]
fn remove_keeps_the_file_mode() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::initialised();
    for mode in [0o640, 0o600, 0o644] {
        let path = write_env(&env, "app.env", &format!("# keep\nGITHUB_TOKEN={TOKEN}\n"));
        fs::set_permissions(&path, fs::Permissions::from_mode(mode)).expect("chmod");
        env.ok(&["import", "app.env", "--remove", "--overwrite"]);
        assert_eq!(fs::read_to_string(&path).expect("read"), "# keep\n");
        let now = fs::metadata(&path).expect("stat").permissions().mode() & 0o7777;
        assert_eq!(now, mode, "mode {mode:o} became {now:o}");
    }
}

#[cfg(unix)]
#[test]
fn remove_rewrites_a_symlinked_file_at_its_target() {
    let env = Env::initialised();
    let shared = env.home.join("secrets");
    fs::create_dir_all(&shared).expect("mkdir");
    let target = shared.join("backstage.env");
    fs::write(
        &target,
        format!("# shared\nGITHUB_TOKEN={TOKEN}\nPORT=3000\n"),
    )
    .expect("write");
    let link = env.work.join(".env");
    std::os::unix::fs::symlink(&target, &link).expect("symlink");

    let out = env.run(&["import", "--remove", "--follow-symlink"]);
    assert_success(&out);
    // Every message names the file that was rewritten.
    let said = stderr(&out);
    assert!(
        said.contains(&format!(
            "removed 2 imported line(s) from {}",
            target.display()
        )),
        "{said}"
    );
    assert!(
        said.contains(&format!("{} (linked from .env)", target.display())),
        "{said}"
    );
    assert!(
        fs::symlink_metadata(&link)
            .expect("link still there")
            .file_type()
            .is_symlink()
    );
    assert_eq!(fs::read_link(&link).expect("readlink"), target);
    assert_eq!(fs::read_to_string(&target).expect("read"), "# shared\n");
    assert_eq!(env.get("GITHUB_TOKEN"), TOKEN);
    assert_eq!(env.get("PORT"), "3000");
    // Nothing else appeared in either directory.
    let names = |dir: &PathBuf| -> Vec<_> {
        fs::read_dir(dir)
            .expect("list")
            .map(|e| e.expect("entry").file_name())
            .collect()
    };
    assert_eq!(names(&shared), ["backstage.env"]);
    assert_eq!(names(&env.work), [".env"]);
}

#[cfg(unix)]
#[test]
fn remove_through_a_symlink_leaves_no_plaintext_at_the_target() {
    // The file holds nothing but imported lines, so it is deleted: deleting
    // only the link would leave every secret in plaintext at its target
    // while bscred reports the file as gone.
    let env = Env::initialised();
    let shared = env.home.join("secrets");
    fs::create_dir_all(&shared).expect("mkdir");
    let target = shared.join("backstage.env");
    fs::write(&target, format!("GITHUB_TOKEN={TOKEN}\n")).expect("write");
    std::os::unix::fs::symlink(&target, env.work.join(".env")).expect("symlink");

    env.ok(&["import", "--remove", "--follow-symlink"]);
    assert_eq!(env.get("GITHUB_TOKEN"), TOKEN);
    let left = fs::read_to_string(&target).unwrap_or_default();
    assert!(
        !left.contains(TOKEN),
        "the token is still in plaintext at the symlink's target {}",
        target.display()
    );
}

/// A `.env` shipped as a link to a file of the user's outside the project
/// (an archive can hold `.env -> ~/.bashrc`) is refused for `--remove`:
/// the outside file stays byte-identical and nothing is imported.
#[cfg(unix)]
#[test]
fn remove_refuses_a_symlinked_env_and_leaves_the_outside_file_alone() {
    let env = Env::initialised();
    let outside = env.home.join(".bashrc");
    let rc = "# my shell
export EDITOR=vim
alias ll='ls -l'
export PAGER=less
";
    fs::write(&outside, rc).expect("write");
    std::os::unix::fs::symlink(&outside, env.work.join(".env")).expect("symlink");
    let before = env.files();
    let text = assert_fails(&env.run(&["import", "--remove"]), 1);
    assert!(text.contains("symlink"), "{text}");
    assert!(text.contains(&outside.display().to_string()), "{text}");
    assert!(text.contains("--follow-symlink"), "{text}");
    assert_eq!(fs::read_to_string(&outside).expect("read"), rc);
    assert_unchanged(&env, &before);
    // --follow-symlink only means something with --remove.
    let out = env.run(&["import", "--follow-symlink"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(fs::read_to_string(&outside).expect("read"), rc);
}

/// Values a shell would have expanded are stored as written, with one
/// warning naming them (never their values).
#[test]
fn values_a_shell_would_expand_are_stored_literally_with_a_warning() {
    let env = Env::initialised();
    write_env(
        &env,
        ".env",
        "EXTRA_PATH=$HOME/bin:$PATH
GREETING='$HOME stays'
PORT=3000
",
    );
    let out = env.run(&["import"]);
    assert_success(&out);
    let said = stderr(&out);
    assert!(
        said.contains("stored EXTRA_PATH from .env as written"),
        "{said}"
    );
    assert!(
        !said.contains("GREETING") && !said.contains("$HOME/bin"),
        "{said}"
    );
    assert_eq!(env.get("EXTRA_PATH"), "$HOME/bin:$PATH");
    assert_eq!(env.get("GREETING"), "$HOME stays");
}

#[test]
fn conflicting_value_is_refused_and_nothing_is_imported() {
    let env = Env::initialised();
    env.set("GITHUB_TOKEN", "ghp_theOldTokenStillStored");
    let path = write_env(
        &env,
        ".env",
        &format!("NEW_VAR=new\nGITHUB_TOKEN={TOKEN}\n"),
    );
    let before = env.files();
    for args in [
        &["import"][..],
        &["import", "--remove"],
        &["import", "--secret"],
    ] {
        let out = env.run(args);
        let err = assert_fails(&out, 1);
        assert!(err.contains("GITHUB_TOKEN"), "{err}");
        assert!(err.contains("nothing was imported"), "{err}");
        let hint = err.lines().nth(1).unwrap_or_default();
        assert!(hint.contains("--overwrite"), "{hint}");
    }
    assert_unchanged(&env, &before);
    assert_eq!(env.get("GITHUB_TOKEN"), "ghp_theOldTokenStillStored");
    assert_fails(&env.run(&["get", "NEW_VAR"]), 3);

    let out = env.run(&["import", "--overwrite", "--remove"]);
    assert_success(&out);
    assert!(
        stderr(&out).contains("(1 new, 1 updated, 0 unchanged)"),
        "{}",
        stderr(&out)
    );
    assert_eq!(env.get("GITHUB_TOKEN"), TOKEN);
    assert_eq!(env.get("NEW_VAR"), "new");
    assert!(!path.exists());
}

#[test]
fn identical_values_count_as_unchanged() {
    let env = Env::initialised();
    env.set("GITHUB_TOKEN", TOKEN);
    env.ok(&[
        "set",
        "GITHUB_USERNAME",
        "octocat",
        "--expires",
        "2026-12-31",
    ]);
    write_env(
        &env,
        ".env",
        &format!("GITHUB_TOKEN={TOKEN}\nGITHUB_USERNAME=octocat\nNEW_VAR=1\n"),
    );
    let later = "2026-07-01T00:00:00Z";
    let out = env
        .cmd()
        .env("BSCRED_TEST_NOW", later)
        .args(["import"])
        .output()
        .expect("runs");
    assert_success(&out);
    assert!(
        stderr(&out).contains("(1 new, 0 updated, 2 unchanged)"),
        "{}",
        stderr(&out)
    );
    // Unchanged variables keep their times, flag and expiry.
    assert_eq!(listed(&env, "GITHUB_TOKEN", "updated_at"), NOW);
    assert_eq!(listed(&env, "GITHUB_TOKEN", "secret"), true);
    assert_eq!(listed(&env, "GITHUB_USERNAME", "updated_at"), NOW);
    assert_eq!(
        listed(&env, "GITHUB_USERNAME", "expires_at"),
        "2026-12-31T00:00:00Z"
    );
    assert_eq!(listed(&env, "NEW_VAR", "created_at"), later);

    // An overwritten value keeps its creation time and expiry.
    write_env(&env, ".env", "GITHUB_USERNAME=monalisa\n");
    let out = env
        .cmd()
        .env("BSCRED_TEST_NOW", later)
        .args(["import", "--overwrite"])
        .output()
        .expect("runs");
    assert_success(&out);
    assert!(stderr(&out).contains("(0 new, 1 updated, 0 unchanged)"));
    assert_eq!(env.get("GITHUB_USERNAME"), "monalisa");
    assert_eq!(listed(&env, "GITHUB_USERNAME", "created_at"), NOW);
    assert_eq!(listed(&env, "GITHUB_USERNAME", "updated_at"), later);
    assert_eq!(
        listed(&env, "GITHUB_USERNAME", "expires_at"),
        "2026-12-31T00:00:00Z"
    );
}

#[test]
fn duplicate_names_take_the_later_value_and_remove_both_lines() {
    let env = Env::initialised();
    let path = write_env(
        &env,
        ".env",
        "GITHUB_TOKEN=ghp_first\n# between\nexport GITHUB_TOKEN=\"ghp_second\"\nGITHUB_TOKEN=ghp_third\n",
    );
    let out = env.run(&["import", "--remove"]);
    assert_success(&out);
    assert!(
        stderr(&out).contains("imported 1 variable(s)"),
        "{}",
        stderr(&out)
    );
    assert_eq!(env.get("GITHUB_TOKEN"), "ghp_third");
    assert_eq!(fs::read_to_string(&path).expect("read"), "# between\n");
}

#[test]
fn parse_errors_name_the_file_and_line_never_the_value() {
    let cases = [
        (
            format!("OK=1\n# c\nGITHUB_TOKEN=\"{TOKEN}\nOTHER=2\n"),
            "line 3",
        ),
        (format!("OK=1\nGITHUB_TOKEN='{TOKEN}\n"), "line 2"),
        (format!("OK=1\nFOO-BAR={TOKEN}\n"), "line 2"),
        (format!("OK=1\n\n\n{TOKEN}\n"), "line 4"),
        (format!("OK=1\nGITHUB_TOKEN=\"{TOKEN}\"x\n"), "line 2"),
    ];
    for (text, line) in cases {
        let env = Env::initialised();
        let path = write_env(&env, "broken.env", &text);
        let before = env.files();
        for args in [
            &["import", "broken.env"][..],
            &["import", "broken.env", "--remove"],
        ] {
            let err = assert_fails(&env.run(args), 1);
            assert!(
                err.starts_with("bscred: error: cannot import broken.env: "),
                "{err}"
            );
            assert!(err.contains(line), "{line}: {err}");
            assert!(!err.contains(&TOKEN[4..12]), "value quoted: {err}");
        }
        assert_unchanged(&env, &before);
        assert_eq!(fs::read_to_string(&path).expect("read"), text);
        assert_fails(&env.run(&["get", "OK"]), 3);
    }
    // A mistyped name is named, so the user can find it.
    let env = Env::initialised();
    write_env(&env, ".env", "FOO-BAR=1\n");
    let err = assert_fails(&env.run(&["import"]), 1);
    assert!(err.contains("\"FOO-BAR\""), "{err}");
    assert!(err.contains(".env"), "{err}");
}

#[test]
fn non_utf8_file_is_refused_without_changes() {
    let env = Env::initialised();
    let path = env.work.join(".env");
    fs::write(&path, b"A_TOKEN=ghp_\xff\xfe\n").expect("write");
    let before = env.files();
    let err = assert_fails(&env.run(&["import", "--remove"]), 1);
    assert!(err.contains("UTF-8"), "{err}");
    assert_unchanged(&env, &before);
}

#[test]
fn failed_import_never_touches_the_file() {
    // Conflict and parse errors are above; here the store is damaged.
    let env = Env::initialised();
    env.set("GITHUB_USERNAME", "octocat");
    let store = env.store_path();
    let mut bytes = fs::read(&store).expect("read store");
    let at = bytes.len() - 3;
    bytes[at] ^= 0x80;
    fs::write(&store, &bytes).expect("tamper");
    write_env(&env, ".env", &format!("GITHUB_TOKEN={TOKEN}\n"));
    let before = env.files();
    let err = assert_fails(&env.run(&["import", "--remove"]), 4);
    assert!(err.contains(&store.display().to_string()), "{err}");
    assert_unchanged(&env, &before);

    // And with the store gone entirely.
    fs::remove_file(&store).expect("delete store");
    let before = env.files();
    assert_fails(&env.run(&["import", "--remove"]), 4);
    assert_unchanged(&env, &before);
    assert!(!store.exists());
}

#[test]
fn missing_file_is_not_found_and_the_default_is_dot_env() {
    let env = Env::initialised();
    let before = env.files();
    let err = assert_fails(&env.run(&["import", "nope.env"]), 3);
    assert!(err.contains("nope.env"), "{err}");
    let err = assert_fails(&env.run(&["import", "--remove"]), 3);
    assert!(err.contains(".env"), "{err}");
    assert_unchanged(&env, &before);

    // Only `.env` in the working directory is the default.
    write_env(&env, ".env.local", "FROM_LOCAL=1\n");
    assert_fails(&env.run(&["import"]), 3);
    write_env(&env, ".env", "FROM_DEFAULT=yes\n");
    env.ok(&["import"]);
    assert_eq!(env.get("FROM_DEFAULT"), "yes");
    assert_fails(&env.run(&["get", "FROM_LOCAL"]), 3);
}

#[test]
fn from_env_takes_values_from_the_environment() {
    let env = Env::initialised();
    let multi = "two\nlines and  spaces ";
    let out = env
        .cmd()
        .env("GITHUB_TOKEN", TOKEN)
        .env("GITHUB_USERNAME", "octocat")
        .env("MULTI", multi)
        .env("EMPTY", "")
        .args([
            "import",
            "--from-env",
            "GITHUB_TOKEN",
            "GITHUB_USERNAME",
            "MULTI",
            "EMPTY",
        ])
        .output()
        .expect("runs");
    assert_success(&out);
    assert!(!stderr(&out).contains(TOKEN));
    assert!(
        stderr(&out).contains("from the environment"),
        "{}",
        stderr(&out)
    );
    assert_eq!(env.get("GITHUB_TOKEN"), TOKEN);
    assert_eq!(env.get("GITHUB_USERNAME"), "octocat");
    assert_eq!(env.get("MULTI"), multi);
    assert_eq!(env.get("EMPTY"), "");
    let flags = secret_flags(&env);
    assert!(flags["GITHUB_TOKEN"]);
    assert!(!flags["GITHUB_USERNAME"]);
}

#[test]
fn from_env_with_a_missing_variable_imports_nothing() {
    let env = Env::initialised();
    let before = env.files();
    let out = env
        .cmd()
        .env("GITHUB_TOKEN", TOKEN)
        .args(["import", "--from-env", "GITHUB_TOKEN", "NOT_SET"])
        .output()
        .expect("runs");
    let err = assert_fails(&out, 3);
    assert!(err.contains("NOT_SET"), "{err}");
    assert_unchanged(&env, &before);
    assert_fails(&env.run(&["get", "GITHUB_TOKEN"]), 3);
}

#[cfg(unix)]
#[test]
fn from_env_refuses_a_value_that_is_not_utf8() {
    use std::os::unix::ffi::OsStrExt;
    let env = Env::initialised();
    let before = env.files();
    let out = env
        .cmd()
        .env("GITHUB_TOKEN", std::ffi::OsStr::from_bytes(b"ghp_\xff\xfe"))
        .args(["import", "--from-env", "GITHUB_TOKEN"])
        .output()
        .expect("runs");
    let err = assert_fails(&out, 2);
    assert!(err.contains("GITHUB_TOKEN"), "{err}");
    assert!(err.contains("UTF-8"), "{err}");
    assert_unchanged(&env, &before);
}

#[test]
fn from_env_conflicts_with_remove_and_a_file() {
    let env = Env::initialised();
    let path = write_env(&env, ".env", "A=1\n");
    let before = env.files();
    for args in [
        &["import", "--from-env", "A", "--remove"][..],
        &["import", "--remove", "--from-env", "A"],
        &["import", ".env", "--from-env", "A"],
    ] {
        let out = env.cmd().env("A", "1").args(args).output().expect("runs");
        let err = assert_fails(&out, 2);
        assert!(err.contains("cannot be used with"), "{args:?}: {err}");
    }
    assert_unchanged(&env, &before);
    assert!(path.exists());
    assert_fails(&env.run(&["get", "A"]), 3);
}

/// A private key as GitHub hands one out (PKCS#1 PEM, 64-column lines).
const APP_KEY: &str = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAq3mI7xRk0Zu2Jf0tq1s8hXGvEtB4yJdX0N0r5f2bD0k9vQ1z\nT0y1R8uM3VqP+9wXo2tq5gkB7a0Dk8tj4x0WcQIDAQABAoIBAFyq0hW3mHcE/xK=\n-----END RSA PRIVATE KEY-----\n";

/// The file `backstage-cli create-github-app` writes, with these values.
fn app_credentials(env: &Env) -> PathBuf {
    let key = APP_KEY.trim_end().replace('\n', "\n  ");
    write_env(
        env,
        "github-app-backstage-acme-credentials.yaml",
        &format!(
            "appId: 123456\nwebhookUrl: https://smee.io/AbCdEf\nclientId: Iv1.0123456789abcdef\nclientSecret: 0123456789abcdef0123456789abcdef01234567\nwebhookSecret: 'w3bh00k s3cret'\nprivateKey: |\n  {key}\n"
        ),
    )
}

#[test]
fn a_github_app_credentials_file_becomes_variables_and_is_deleted_after_the_read_back() {
    let env = Env::initialised();
    let file = app_credentials(&env);
    let out = env.run(&[
        "import",
        "--github-app",
        file.to_str().expect("utf-8"),
        "--remove",
    ]);
    assert_success(&out);
    let snippet = String::from_utf8(out.stdout.clone()).expect("utf-8");
    for line in [
        "- appId: ${GITHUB_APP_ID}",
        "clientId: ${GITHUB_APP_CLIENT_ID}",
        "clientSecret: ${GITHUB_APP_CLIENT_SECRET}",
        "webhookSecret: ${GITHUB_APP_WEBHOOK_SECRET}",
        "privateKey: ${GITHUB_APP_PRIVATE_KEY}",
    ] {
        assert!(snippet.contains(line), "{line:?} not in:\n{snippet}");
    }
    assert!(!file.exists(), "the credentials file is deleted");
    // Nothing secret on either stream.
    let both = format!("{snippet}{}", stderr(&out));
    assert!(
        !both.contains("MIIEow") && !both.contains("0123456789abcdef01234567"),
        "{both}"
    );

    assert_eq!(env.get("GITHUB_APP_ID"), "123456");
    assert_eq!(env.get("GITHUB_APP_CLIENT_ID"), "Iv1.0123456789abcdef");
    assert_eq!(
        env.get("GITHUB_APP_CLIENT_SECRET"),
        "0123456789abcdef0123456789abcdef01234567"
    );
    assert_eq!(env.get("GITHUB_APP_WEBHOOK_SECRET"), "w3bh00k s3cret");
    assert_eq!(env.get("GITHUB_APP_WEBHOOK_URL"), "https://smee.io/AbCdEf");
    // The key, byte for byte, its final newline included.
    assert_eq!(env.get("GITHUB_APP_PRIVATE_KEY"), APP_KEY);
    let flags = secret_flags(&env);
    assert!(flags["GITHUB_APP_PRIVATE_KEY"]);
    assert!(flags["GITHUB_APP_CLIENT_SECRET"]);
    assert!(flags["GITHUB_APP_WEBHOOK_SECRET"]);
    assert!(!flags["GITHUB_APP_ID"]);

    // Through exec, into Node, as Backstage reads it.
    if crate::harness::have("node") {
        let out = env.run(&[
            "exec",
            "--",
            "node",
            "-e",
            "process.stdout.write(process.env.GITHUB_APP_PRIVATE_KEY)",
        ]);
        assert_success(&out);
        assert_eq!(String::from_utf8(out.stdout).expect("utf-8"), APP_KEY);
    }
}

#[test]
fn a_github_app_file_bscred_cannot_read_whole_is_left_alone_and_nothing_stored() {
    let env = Env::initialised();
    let file = write_env(
        &env,
        "github-app-x-credentials.yaml",
        "appId: 1\nclientSecret: abc\nprivateKey: >\n  folded text\n",
    );
    let before = fs::read(&file).expect("read");
    let out = env.run(&[
        "import",
        "--github-app",
        file.to_str().expect("utf-8"),
        "--remove",
    ]);
    let text = assert_fails(&out, 1);
    assert!(text.contains("line 3"), "{text}");
    assert!(!text.contains("abc"), "{text}");
    assert_eq!(fs::read(&file).expect("read"), before);
    assert!(secret_flags(&env).is_empty());
}

#[test]
fn a_second_github_app_needs_its_own_prefix_or_overwrite() {
    let env = Env::initialised();
    let file = app_credentials(&env);
    let path = file.to_str().expect("utf-8");
    assert_success(&env.run(&["import", "--github-app", path]));
    // Another app's file under the same names is refused, and kept.
    fs::write(
        &file,
        "appId: 999\nclientSecret: other\nprivateKey: |\n  -----BEGIN RSA PRIVATE KEY-----\n  AAAA\n  -----END RSA PRIVATE KEY-----\n",
    )
    .expect("write");
    let text = assert_fails(&env.run(&["import", "--github-app", path, "--remove"]), 1);
    assert!(text.contains("--app-prefix"), "{text}");
    assert!(file.exists());
    assert_eq!(env.get("GITHUB_APP_ID"), "123456");
    let out = env.run(&["import", "--github-app", path, "--app-prefix", "ACME_APP"]);
    assert_success(&out);
    assert!(String::from_utf8_lossy(&out.stdout).contains("${ACME_APP_PRIVATE_KEY}"));
    assert_eq!(env.get("ACME_APP_ID"), "999");
    assert_eq!(env.get("GITHUB_APP_ID"), "123456");
}
