"""What screens, LED strips and speakers show or say: pure layout and phrasing."""
