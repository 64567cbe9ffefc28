use super::*;

#[test]
fn backoff_doubles_is_capped_and_jittered() {
    let r = Retry::new(10, Duration::from_millis(100), Duration::from_millis(700));
    for _ in 0..100 {
        let b1 = r.backoff(1);
        assert!(
            b1 >= Duration::from_millis(50) && b1 <= Duration::from_millis(100),
            "{b1:?}"
        );
        let b3 = r.backoff(3);
        assert!(
            b3 >= Duration::from_millis(200) && b3 <= Duration::from_millis(400),
            "{b3:?}"
        );
        let b9 = r.backoff(9);
        assert!(
            b9 >= Duration::from_millis(350) && b9 <= Duration::from_millis(700),
            "{b9:?}"
        );
        assert!(r.backoff(u32::MAX) <= Duration::from_millis(700));
    }
    let distinct: std::collections::HashSet<_> = (0..20).map(|_| r.backoff(2)).collect();
    assert!(distinct.len() > 1, "jitter varies");
}

#[test]
fn retry_attempts_at_least_one() {
    assert_eq!(Retry::new(0, Duration::ZERO, Duration::ZERO).attempts, 1);
    assert_eq!(Retry::none().attempts, 1);
}

#[test]
fn cached_refresh_point() {
    let config = Config {
        margin: Duration::from_secs(60),
        default_lifetime: Duration::from_secs(3600),
        retry: Retry::none(),
        cache: None,
        ignore_cached: false,
    };
    let token = |life: Option<u64>| {
        Token::new(
            "t".into(),
            None,
            vec![],
            life.map(Duration::from_secs),
            (Instant::now(), std::time::SystemTime::now()),
            None,
        )
    };
    let c = Cached::new(token(Some(300)), &config).unwrap();
    assert_eq!(
        (c.refresh_at, c.expire_at, c.lifetime),
        (
            Duration::from_secs(240),
            Duration::from_secs(290),
            Duration::from_secs(300)
        )
    );
    // A zero margin still refreshes before cctoken stops using the token.
    let zero = Config {
        margin: Duration::ZERO,
        ..config.clone()
    };
    let c = Cached::new(token(Some(300)), &zero).unwrap();
    assert_eq!(c.refresh_at, Duration::from_secs(290));
    let c = Cached::new(token(Some(30)), &config).unwrap();
    assert_eq!(c.refresh_at, Duration::from_secs(15));
    let c = Cached::new(token(None), &config).unwrap();
    assert_eq!(c.expire_at, Duration::from_secs(3590));
    assert!(Cached::new(token(Some(0)), &config).is_none());
}

#[test]
fn source_is_send_sync_clone() {
    fn check<T: Send + Sync + Clone + 'static>() {}
    check::<TokenSource>();
}
