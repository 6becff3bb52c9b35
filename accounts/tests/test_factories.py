def test_factories_make_onboarded_users(advertiser, promoter):
    assert advertiser.has_profile() and advertiser.is_advertiser
    assert promoter.has_profile() and promoter.is_promoter
