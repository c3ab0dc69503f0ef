"""Maps: bulk grid assignment, GeoJSON layers and the map page (统一地图服务, 网格地图, 三维地图)."""
