urlpatterns: list = []  # the download pages are added with the exports
