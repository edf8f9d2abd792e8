"""Fixed word lists for the Houston metro: places (city, county, zip centroid), streets, names."""

from __future__ import annotations

# The metro box every generated coordinate lies in (issue 2 §6).
LAT_MIN, LAT_MAX = 29.4, 30.2
LON_MIN, LON_MAX = -95.8, -94.9
DOWNTOWN = (29.7604, -95.3698)

# (city, county, zip, lat, lon): each point takes the city and zip of its nearest entry.
PLACES: list[tuple[str, str, str, float, float]] = [
    ("Houston", "Harris", "77002", 29.756, -95.365),
    ("Houston", "Harris", "77003", 29.749, -95.344),
    ("Houston", "Harris", "77004", 29.724, -95.362),
    ("Houston", "Harris", "77006", 29.741, -95.391),
    ("Houston", "Harris", "77007", 29.771, -95.411),
    ("Houston", "Harris", "77008", 29.799, -95.410),
    ("Houston", "Harris", "77009", 29.794, -95.367),
    ("Houston", "Harris", "77011", 29.742, -95.307),
    ("Houston", "Harris", "77016", 29.858, -95.303),
    ("Houston", "Harris", "77018", 29.827, -95.427),
    ("Houston", "Harris", "77019", 29.752, -95.412),
    ("Houston", "Harris", "77020", 29.776, -95.311),
    ("Houston", "Harris", "77021", 29.696, -95.356),
    ("Houston", "Harris", "77024", 29.770, -95.513),
    ("Houston", "Harris", "77025", 29.690, -95.434),
    ("Houston", "Harris", "77027", 29.740, -95.446),
    ("Houston", "Harris", "77031", 29.657, -95.543),
    ("Houston", "Harris", "77033", 29.668, -95.338),
    ("Houston", "Harris", "77035", 29.652, -95.478),
    ("Houston", "Harris", "77036", 29.700, -95.535),
    ("Houston", "Harris", "77040", 29.874, -95.528),
    ("Houston", "Harris", "77041", 29.860, -95.582),
    ("Houston", "Harris", "77042", 29.740, -95.559),
    ("Houston", "Harris", "77045", 29.631, -95.432),
    ("Houston", "Harris", "77047", 29.625, -95.376),
    ("Houston", "Harris", "77055", 29.797, -95.495),
    ("Houston", "Harris", "77057", 29.742, -95.490),
    ("Houston", "Harris", "77060", 29.934, -95.398),
    ("Houston", "Harris", "77063", 29.734, -95.522),
    ("Houston", "Harris", "77064", 29.918, -95.556),
    ("Houston", "Harris", "77070", 29.978, -95.575),
    ("Houston", "Harris", "77074", 29.689, -95.512),
    ("Houston", "Harris", "77076", 29.858, -95.382),
    ("Houston", "Harris", "77077", 29.750, -95.613),
    ("Houston", "Harris", "77079", 29.774, -95.597),
    ("Houston", "Harris", "77082", 29.722, -95.628),
    ("Houston", "Harris", "77084", 29.844, -95.662),
    ("Houston", "Harris", "77088", 29.882, -95.454),
    ("Houston", "Harris", "77089", 29.594, -95.218),
    ("Houston", "Harris", "77092", 29.832, -95.473),
    ("Houston", "Harris", "77096", 29.672, -95.484),
    ("Houston", "Harris", "77099", 29.671, -95.586),
    ("Bellaire", "Harris", "77401", 29.703, -95.461),
    ("Pasadena", "Harris", "77502", 29.679, -95.199),
    ("Pasadena", "Harris", "77505", 29.652, -95.147),
    ("Baytown", "Harris", "77520", 29.746, -94.966),
    ("Baytown", "Harris", "77521", 29.795, -94.975),
    ("Deer Park", "Harris", "77536", 29.692, -95.119),
    ("La Porte", "Harris", "77571", 29.666, -95.043),
    ("Channelview", "Harris", "77530", 29.789, -95.113),
    ("Galena Park", "Harris", "77547", 29.737, -95.235),
    ("Humble", "Harris", "77338", 29.999, -95.260),
    ("Atascocita", "Harris", "77346", 29.996, -95.176),
    ("Kingwood", "Harris", "77339", 30.049, -95.220),
    ("Spring", "Harris", "77373", 30.060, -95.381),
    ("Spring", "Harris", "77379", 30.032, -95.519),
    ("Tomball", "Harris", "77375", 30.097, -95.616),
    ("Cypress", "Harris", "77429", 29.982, -95.670),
    ("Cypress", "Harris", "77433", 29.953, -95.737),
    ("Jersey Village", "Harris", "77065", 29.925, -95.605),
    ("Katy", "Harris", "77449", 29.836, -95.734),
    ("Katy", "Fort Bend", "77494", 29.742, -95.774),
    ("Sugar Land", "Fort Bend", "77478", 29.619, -95.634),
    ("Sugar Land", "Fort Bend", "77479", 29.575, -95.634),
    ("Stafford", "Fort Bend", "77477", 29.629, -95.566),
    ("Missouri City", "Fort Bend", "77459", 29.547, -95.548),
    ("Missouri City", "Fort Bend", "77489", 29.598, -95.512),
    ("Richmond", "Fort Bend", "77469", 29.521, -95.742),
    ("Fresno", "Fort Bend", "77545", 29.529, -95.463),
    ("Pearland", "Brazoria", "77581", 29.562, -95.285),
    ("Pearland", "Brazoria", "77584", 29.541, -95.350),
    ("Manvel", "Brazoria", "77578", 29.462, -95.357),
    ("Alvin", "Brazoria", "77511", 29.424, -95.244),
    ("Friendswood", "Galveston", "77546", 29.514, -95.191),
    ("League City", "Galveston", "77573", 29.500, -95.090),
    ("Dickinson", "Galveston", "77539", 29.459, -95.051),
    ("Webster", "Harris", "77598", 29.538, -95.118),
    ("Seabrook", "Harris", "77586", 29.564, -95.025),
    ("The Woodlands", "Montgomery", "77380", 30.144, -95.470),
    ("The Woodlands", "Montgomery", "77381", 30.171, -95.500),
    ("Oak Ridge North", "Montgomery", "77385", 30.170, -95.420),
    ("Porter", "Montgomery", "77365", 30.106, -95.250),
    ("Magnolia", "Montgomery", "77354", 30.190, -95.700),
    ("Crosby", "Harris", "77532", 29.912, -95.062),
    ("Huffman", "Harris", "77336", 30.040, -95.100),
    ("Highlands", "Harris", "77562", 29.819, -95.040),
]

# Galveston Bay and the Houston Ship Channel mouth: nothing is built on the water.
BAY_LAT_MAX, BAY_LON_MIN = 29.64, -95.02

MAJOR_STREETS = [
    "Westheimer Rd", "Richmond Ave", "Bellaire Blvd", "Bissonnet St", "Kirby Dr", "Montrose Blvd",
    "Shepherd Dr", "Durham Dr", "Washington Ave", "Memorial Dr", "Gessner Rd", "Fondren Rd",
    "Hillcroft Ave", "Fannin St", "Main St", "Almeda Rd", "Telephone Rd", "Airline Dr",
    "Aldine Bender Rd", "Antoine Dr", "Wirt Rd", "Voss Rd", "Post Oak Blvd", "San Felipe St",
    "Alabama St", "Westpark Dr", "Bellfort Ave", "Airport Blvd", "Scott St", "Cullen Blvd",
    "Lyons Ave", "Jensen Dr", "Tidwell Rd", "Little York Rd", "W 43rd St", "Ella Blvd", "Yale St",
    "Heights Blvd", "Navigation Blvd", "Harrisburg Blvd", "Spencer Hwy", "Fairmont Pkwy",
    "Red Bluff Rd", "Kuykendahl Rd", "Louetta Rd", "FM 1960 Rd", "Grant Rd", "Barker Cypress Rd",
    "Mason Rd", "Fry Rd", "Westgreen Blvd", "Eldridge Pkwy", "Dairy Ashford Rd", "Kirkwood Rd",
    "Wilcrest Dr", "Beechnut St", "Fuqua St", "Wilcrest Dr", "Jones Rd", "Huffmeister Rd",
    "Spring Cypress Rd", "Woodforest Blvd", "Uvalde Rd", "Garrett Rd", "Wallisville Rd",
    "Mykawa Rd", "Broadway St", "Scarsdale Blvd", "Dixie Farm Rd", "Bay Area Blvd", "NASA Pkwy",
    "Texas Pkwy", "Cartwright Rd", "Dulles Ave", "Williams Trace Blvd", "Sweetwater Blvd",
    "Woodlands Pkwy", "Research Forest Dr", "Sawdust Rd", "Rayford Rd", "Northpark Dr",
    "Will Clayton Pkwy", "Atascocita Rd", "Kingwood Dr", "Cypresswood Dr", "Telge Rd",
]
STREET_STEMS = [
    "Oak", "Pecan", "Magnolia", "Cypress", "Willow", "Cedar", "Elm", "Live Oak", "Bluebonnet",
    "Pine", "Maple", "Hickory", "Sycamore", "Laurel", "Holly", "Briar", "Meadow", "Shadow",
    "Lake", "Bayou", "Prairie", "Sage", "Timber", "Fern", "Rose", "Aspen", "Birch", "Dogwood",
    "Cottonwood", "Mesquite", "Chestnut", "Spring", "Stone", "Hidden", "Quail", "Heron", "Mockingbird",
    "Cardinal", "Sandy", "Misty", "Autumn", "Silver", "Green", "Golden", "Park", "River", "Creek",
]
STREET_TAILS = [
    "Hollow Dr", "Bend Dr", "Crest Ln", "Glen Dr", "Ridge Rd", "Creek Dr", "Park Ln", "Trail",
    "Way", "Ct", "Cir", "Meadow Dr", "Grove Ln", "Forest Dr", "Point Dr", "Landing Dr", "Bluff Ln",
    "Springs Dr", "Field Ln", "Lake Dr", "Brook Ln", "Vale Dr", "Terrace", "Pass",
]

FIRST_NAMES = [
    "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David",
    "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah",
    "Christopher", "Karen", "Charles", "Lisa", "Daniel", "Nancy", "Matthew", "Betty", "Anthony",
    "Sandra", "Mark", "Margaret", "Jose", "Maria", "Juan", "Guadalupe", "Luis", "Rosa", "Carlos",
    "Ana", "Jorge", "Carmen", "Miguel", "Veronica", "Alejandro", "Adriana", "Francisco", "Sofia",
    "Minh", "Linh", "Thanh", "Mai", "Duc", "Huong", "Wei", "Mei", "Jun", "Priya", "Raj", "Anil",
    "Deepa", "Arjun", "Aisha", "Omar", "Fatima", "Hassan", "Tyrone", "Keisha", "DeShawn", "Latoya",
    "Marcus", "Tamika", "Andre", "Jasmine", "Kevin", "Emily", "Brian", "Ashley", "Jason",
    "Amanda", "Ryan", "Melissa", "Jacob", "Stephanie", "Gary", "Rebecca", "Nicholas", "Laura",
    "Eric", "Emma", "Jonathan", "Olivia", "Stephen", "Ava", "Larry", "Isabella", "Justin",
    "Mia", "Scott", "Abigail", "Brandon", "Chloe", "Samuel", "Grace", "Noah", "Camila",
]
LAST_NAMES = [
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor",
    "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez",
    "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright",
    "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker", "Hall",
    "Rivera", "Campbell", "Mitchell", "Carter", "Roberts", "Tran", "Le", "Pham", "Huynh", "Vo",
    "Patel", "Shah", "Singh", "Kumar", "Chen", "Wang", "Li", "Zhang", "Kim", "Park", "Okafor",
    "Adeyemi", "Khan", "Ali", "Ahmed", "Gutierrez", "Castillo", "Vasquez", "Ramos", "Reyes",
    "Morales", "Ortiz", "Cruz", "Mendoza", "Guerrero", "Medina", "Salazar", "Delgado", "Washington",
    "Jefferson", "Brooks", "Coleman", "Bryant", "Hayes", "Simmons", "Foster", "Butler", "Barnes",
    "Fisher", "Henderson", "Hughes", "Price", "Sanders", "Bennett", "Wood", "Ross", "Murphy",
]
BUSINESS_KINDS_COMMERCIAL = [
    "Dental Clinic", "Family Pharmacy", "Grocery", "Auto Repair", "Taqueria", "Pho House",
    "Dry Cleaners", "Fitness Center", "Insurance Agency", "Law Office", "Medical Plaza",
    "Car Wash", "Pet Hospital", "Bakery", "Hardware", "Learning Center", "Bank Branch",
    "Barbecue", "Coffee House", "Urgent Care", "Office Tower", "Retail Center", "Church",
    "Elementary School", "Apartments", "Hotel", "Furniture Outlet", "Convenience Store",
]
BUSINESS_KINDS_INDUSTRIAL = [
    "Petrochemical Plant", "Refinery Unit", "Cold Storage", "Plastics Works", "Steel Fabrication",
    "Distribution Center", "Machine Shop", "Data Center", "Water Treatment Plant", "Pipe Yard",
    "Chemical Terminal", "Packaging Plant", "Concrete Plant", "Logistics Hub", "Foundry",
]
BUSINESS_PREFIXES = [
    "Gulf Coast", "Bayou City", "Lone Star", "Space City", "Magnolia", "Ship Channel", "Texan",
    "Harris County", "Allen's Landing", "Buffalo Bayou", "Pasadena", "Clear Lake", "Energy Corridor",
    "Greenspoint", "Westchase", "Galleria", "Heights", "Third Ward", "Montrose", "Katy Prairie",
]
STORM_NAMES = [
    "Alberto", "Beryl", "Chris", "Debby", "Ernesto", "Francine", "Gordon", "Helene", "Isaac",
    "Joyce", "Kirk", "Leslie", "Milton", "Nadine", "Oscar", "Patty", "Rafael", "Sara",
]
