"""URLs of due diligence: documents, officer verification, flags and sanctions matches."""
urlpatterns = []
