from tenantry.application.app import Tenantry


def test_an_organization_created_on_a_backend_reads_back(make_app, database_url: str) -> None:
    app: Tenantry = make_app(database_url)
    org = app.create_organization("Acme", external_id="acme")
    assert app.get_organization(org.id) == org
    assert app.get_organization_by_external_id("acme").id == org.id
