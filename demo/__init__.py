"""The demo: its people, and two months of marketplace history made through the real services
(`manage.py demo_data`). It sits at the top of the layering: it calls every app's services, as
the pages do, and nothing imports it."""
